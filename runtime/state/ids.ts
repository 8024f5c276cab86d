// Ids and the lookups crictl users expect: full 64-hex ids, or any unique prefix.
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, NotFoundError } from '../../common/errors.js';

export function newId(): string {
  return randomBytes(32).toString('hex');
}

const prefixPattern = /^[a-f0-9]{1,64}$/;

/** Resolves an id or a unique prefix among `ids`; `kind` names the object in errors. */
export function resolveId(kind: string, idOrPrefix: string, ids: Iterable<string>): string {
  if (!idOrPrefix) throw new InvalidArgumentError(`${kind} id must not be empty`);
  // No berth id looks like this, so nothing has it: NotFound keeps Stop/Remove idempotent.
  if (!prefixPattern.test(idOrPrefix)) throw new NotFoundError(`${kind} ${JSON.stringify(idOrPrefix)} not found (berth ids are hex)`);
  const matches: string[] = [];
  for (const id of ids) {
    if (id === idOrPrefix) return id;
    if (id.startsWith(idOrPrefix)) matches.push(id);
  }
  if (matches.length === 1 && matches[0]) return matches[0];
  if (matches.length > 1) throw new InvalidArgumentError(`${kind} id prefix ${idOrPrefix} is ambiguous (${matches.length} matches)`);
  throw new NotFoundError(`${kind} ${idOrPrefix} not found`);
}
