// Container ids become file names (exit file, state dir, socket link) and runtime arguments,
// so one is checked before it touches either: a "../" or a leading "-" must never get there.
import { InvalidArgumentError } from '../../common/errors.js';

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function checkContainerId(id: string): string {
  if (!idPattern.test(id) || id.includes('..')) {
    throw new InvalidArgumentError(`container id ${JSON.stringify(id)} is not allowed: use 1-128 letters, digits, "_", "." or "-", starting with a letter or digit`);
  }
  return id;
}
