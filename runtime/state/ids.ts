// Ids and the lookups crictl users expect: full 64-hex ids, or any unique prefix.
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../../common/errors.js';

export function newId(): string {
  return randomBytes(32).toString('hex');
}

const prefixPattern = /^[a-f0-9]{1,64}$/;

/**
 * The id among `ids` that `idOrPrefix` names (the id itself or a unique prefix), undefined when
 * none does; `kind` names the object in errors. Bad input (empty, ambiguous) is an error, absence
 * is not: Stop and Remove of what is not there succeed.
 */
export function findId(kind: string, idOrPrefix: string, ids: Iterable<string>): string | undefined {
  if (!idOrPrefix) throw new InvalidArgumentError(`${kind} id must not be empty`);
  // No berth id looks like this, so nothing has it.
  if (!prefixPattern.test(idOrPrefix)) return undefined;
  const matches: string[] = [];
  for (const id of ids) {
    if (id === idOrPrefix) return id;
    if (id.startsWith(idOrPrefix)) matches.push(id);
  }
  if (matches.length > 1) throw new InvalidArgumentError(`${kind} id prefix ${idOrPrefix} is ambiguous (${matches.length} matches)`);
  return matches[0];
}
