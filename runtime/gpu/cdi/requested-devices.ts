// The CDI devices a container asks for: the names given by field (the CRI's CDI_devices, 1.28+)
// and the older `cdi.k8s.io/<key>: "vendor/class=name,..."` annotations that device plugins set.
// Both are honoured, field first; a name asked for twice is applied once.
import { InvalidArgumentError } from '../../../common/errors.js';
import { parseQualifiedName } from './qualified-name.js';

export const cdiAnnotationPrefix = 'cdi.k8s.io/';

export function requestedCdiDevices(field: readonly { name: string }[], annotations: Readonly<Record<string, string>>): string[] {
  const names: string[] = [];
  for (const device of field) {
    if (device.name === '') throw new InvalidArgumentError('CDI_devices has an entry with an empty name');
    names.push(device.name);
  }
  for (const key of Object.keys(annotations).sort()) {
    if (!key.startsWith(cdiAnnotationPrefix)) continue;
    const suffix = key.slice(cdiAnnotationPrefix.length);
    if (!/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/.test(suffix)) {
      throw new InvalidArgumentError(`annotation ${key}: the part after ${cdiAnnotationPrefix} must be 1-63 letters, digits, "_", "-" or "."`);
    }
    for (const name of (annotations[key] ?? '').split(',')) {
      const trimmed = name.trim();
      if (trimmed === '') continue;
      names.push(trimmed);
    }
  }
  for (const name of names) parseQualifiedName(name);
  return [...new Set(names)];
}
