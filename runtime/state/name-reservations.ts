// Names held while a create is in flight (containerd's name index, CRI-O's resource store, the
// smallest form of it): a second create of the same name that arrives before the first has
// returned is refused with AlreadyExists, so a kubelet retry of a slow create never makes a second
// object. The first create's record, once written, answers later retries; the hold ends when the
// first create ends, made or failed.
import { AlreadyExistsError } from '../../common/errors.js';

export class NameReservations {
  private readonly held = new Map<string, string>();

  /** `kind` names the objects in the refusal ("pod sandbox", "container"). */
  constructor(private readonly kind: string) {}

  /** Runs `create` with `name` held for `id`; refuses at once when another create holds it. */
  async hold<T>(name: string, id: string, create: () => Promise<T>): Promise<T> {
    const holder = this.held.get(name);
    if (holder !== undefined) {
      throw new AlreadyExistsError(`${this.kind} name ${name} is reserved by ${holder}, whose create is still in flight; retry once it has returned`);
    }
    this.held.set(name, id);
    try {
      return await create();
    } finally {
      this.held.delete(name);
    }
  }
}
