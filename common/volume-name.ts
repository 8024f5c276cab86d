// docker's rule for the names of volumes and networks (its daemon's RestrictedNamePattern),
// shared by the runtime's stores and the CLI's `-v` parsing so both refuse the same names with the
// same words. A valid name has no "/" and is never "." or "..": it can only ever be one directory
// level (or one file) below the store's dir.
import { InvalidArgumentError } from './errors.js';

export const validVolumeName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function checkVolumeName(name: string): void {
  checkDockerName('volume', name, ' (if you meant a host directory, give its absolute path)');
}

/** The rule for `kind` ("volume", "network"); `hint` ends the message. */
export function checkDockerName(kind: string, name: string, hint = ''): void {
  if (validVolumeName.test(name)) return;
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}...` : name);
  const why = /^[a-zA-Z0-9]?$/.test(name)
    ? 'is too short, names should be at least two alphanumeric characters'
    : `includes invalid characters for a local ${kind} name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`;
  throw new InvalidArgumentError(`${kind} name ${shown} ${why}${hint}`);
}
