// Names held while a create is in flight (containerd's name index, CRI-O's getResourceOrWait): a
// second create of the same name that arrives before the first has returned (a kubelet retrying
// a slow create after its deadline) waits for the first instead of making a second object. When
// the first is made, the waiter gets it too; when the first failed or was cancelled (its caller
// went away, and its steps were undone), the name is free again and the waiter makes its own.
// A waiter's wait is bounded by its own signal. The first create's record, once written,
// answers later retries; the hold ends when the first create ends, made or failed.
import { raceAbort, type Abortable } from '../../common/abort.js';

type Outcome = { made: true; value: unknown } | { made: false };

export class NameReservations {
  private readonly held = new Map<string, { id: string; outcome: Promise<Outcome> }>();

  /** `kind` names the objects in messages ("pod sandbox", "container"). */
  constructor(private readonly kind: string) {}

  /**
   * Runs `create` with `name` held for `id`. While another create holds the name, waits for it
   * (until `signal` aborts): its result when it made the object, else this create runs.
   */
  async hold<T>(name: string, id: string, create: () => Promise<T>, options: Abortable = {}): Promise<T> {
    for (let holder = this.held.get(name); holder !== undefined; holder = this.held.get(name)) {
      const what = `${this.kind} name ${name} is reserved by ${holder.id}, whose create is still in flight`;
      const outcome = await raceAbort(holder.outcome, options.signal, what);
      if (outcome.made) return outcome.value as T;
    }
    const running = create();
    const outcome = running.then(
      (value): Outcome => ({ made: true, value }),
      (): Outcome => ({ made: false }),
    );
    this.held.set(name, { id, outcome });
    try {
      return await running;
    } finally {
      this.held.delete(name);
    }
  }
}
