// How `berth logs|exec|stop|rm X` finds X, as docker does: a full ID, then a name (the CLI's
// name, or pod/container for the kubelet's), then a unique ID prefix.
import { InvalidArgumentError, NotFoundError } from '../../common/errors.js';

export interface NamedContainer {
  id: string;
  name: string;
}

export function findContainer<T extends NamedContainer>(containers: readonly T[], reference: string): T {
  if (reference === '') throw new InvalidArgumentError('a container name or ID is required');
  const byId = containers.find((c) => c.id === reference);
  if (byId) return byId;
  const byName = containers.filter((c) => c.name === reference);
  if (byName.length > 1) {
    throw new InvalidArgumentError(`${byName.length} containers are named ${reference}: use an ID (${byName.map((c) => c.id.slice(0, 12)).join(', ')})`);
  }
  if (byName[0]) return byName[0];
  const byPrefix = containers.filter((c) => c.id.startsWith(reference));
  if (byPrefix.length > 1) throw new InvalidArgumentError(`the ID prefix ${reference} matches ${byPrefix.length} containers: give more of it`);
  if (byPrefix[0]) return byPrefix[0];
  throw new NotFoundError(`no such container: ${reference}`);
}
