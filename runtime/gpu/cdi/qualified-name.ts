// CDI device names: "vendor/class=name", e.g. "nvidia.com/gpu=0". The character rules are the
// CDI spec's (the reference parser's): vendor and class start with a letter, end with a letter
// or digit, and use letters, digits, "_", "-" and "." between; a device name starts and ends
// with a letter or digit and may also use ":" (MIG names such as "0:1").
import { InvalidArgumentError } from '../../../common/errors.js';

export interface QualifiedName {
  vendor: string;
  class: string;
  name: string;
  /** "vendor/class". */
  kind: string;
}

const alnum = /^[A-Za-z0-9]$/;

function checkVendorOrClass(what: string, value: string): string | undefined {
  if (value === '') return `${what} is empty`;
  if (!/^[A-Za-z]$/.test(value[0] ?? '')) return `${what} "${value}" must start with a letter`;
  if (!alnum.test(value[value.length - 1] ?? '')) return `${what} "${value}" must end with a letter or digit`;
  if (!/^[A-Za-z0-9_.-]*$/.test(value)) return `${what} "${value}" may use only letters, digits, "_", "-" and "."`;
  return undefined;
}

/** Why `name` is not a valid CDI device name, or undefined when it is. */
export function deviceNameProblem(name: string): string | undefined {
  if (name === '') return 'device name is empty';
  if (!alnum.test(name[0] ?? '') || !alnum.test(name[name.length - 1] ?? '')) {
    return `device name "${name}" must start and end with a letter or digit`;
  }
  if (!/^[A-Za-z0-9_.:-]*$/.test(name)) return `device name "${name}" may use only letters, digits, "_", "-", "." and ":"`;
  return undefined;
}

/** Why `kind` ("vendor/class") is invalid, or undefined when it is valid. */
export function kindProblem(kind: string): string | undefined {
  const slash = kind.indexOf('/');
  if (slash < 0) return `kind "${kind}" must be vendor/class, e.g. nvidia.com/gpu`;
  return checkVendorOrClass('vendor', kind.slice(0, slash)) ?? checkVendorOrClass('class', kind.slice(slash + 1));
}

export function parseQualifiedName(text: string): QualifiedName {
  const eq = text.indexOf('=');
  const problem = eq < 0 ? 'it has no "=name" part' : (kindProblem(text.slice(0, eq)) ?? deviceNameProblem(text.slice(eq + 1)));
  if (problem !== undefined) {
    throw new InvalidArgumentError(`CDI device "${text}" is not a qualified name vendor/class=name (${problem})`);
  }
  const kind = text.slice(0, eq);
  const slash = kind.indexOf('/');
  return { vendor: kind.slice(0, slash), class: kind.slice(slash + 1), name: text.slice(eq + 1), kind };
}

export function qualifiedName(kind: string, name: string): string {
  return `${kind}=${name}`;
}
