// The devices every CDI spec on the node defines, by fully-qualified name, and the edits a list
// of requested names resolves to. Pure: specs come in already read and validated (see
// spec-dirs.ts). Priority follows the CDI reference: a spec from a later directory overrides a
// device of the same name from an earlier one; two specs in the same directory that define the
// same device make that name unusable until one is removed, because neither is "the" device.
import { NotFoundError, FailedPreconditionError } from '../../../common/errors.js';
import type { CdiContainerEdits, CdiDevice, CdiSpec } from './cdi-types.js';
import { parseQualifiedName, qualifiedName } from './qualified-name.js';

export interface LoadedCdiSpec {
  spec: CdiSpec;
  /** The file it came from. */
  path: string;
  /** Position of its directory in the search list: higher wins. */
  priority: number;
}

export interface ResolvedCdiEdits {
  /** "spec <path>" or "device <qualified name>", for messages and logs. */
  source: string;
  edits: CdiContainerEdits;
}

interface Entry {
  device: CdiDevice;
  from: LoadedCdiSpec;
  /** Another spec at the same priority defines the same name. */
  conflict?: string;
}

export interface CdiRegistry {
  /** Every usable qualified name, sorted. */
  deviceNames(): string[];
  /**
   * The edits for the requested devices, in request order: each spec's own containerEdits
   * once, before the first of its devices, then the device's edits. Unknown or conflicting
   * names throw, naming what exists.
   */
  resolve(names: readonly string[]): ResolvedCdiEdits[];
}

export function buildCdiRegistry(specs: readonly LoadedCdiSpec[], searched: readonly string[] = []): CdiRegistry {
  const entries = new Map<string, Entry>();
  const ordered = [...specs].sort((a, b) => a.priority - b.priority || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const loaded of ordered) {
    for (const device of loaded.spec.devices) {
      const name = qualifiedName(loaded.spec.kind, device.name);
      const existing = entries.get(name);
      if (existing !== undefined && existing.from.priority === loaded.priority) {
        existing.conflict = loaded.path;
        continue;
      }
      entries.set(name, { device, from: loaded });
    }
  }

  const kinds = new Set(specs.map((s) => s.spec.kind));
  const where = searched.length > 0 ? ` in ${searched.join(', ')}` : '';

  function lookup(name: string): Entry {
    const parsed = parseQualifiedName(name);
    const entry = entries.get(name);
    if (entry === undefined) {
      if (!kinds.has(parsed.kind)) throw new NotFoundError(`CDI device "${name}": no CDI spec${where} provides kind ${parsed.kind}`);
      const known = [...entries.keys()].filter((n) => n.startsWith(`${parsed.kind}=`)).sort();
      const shown = known.length > 10 ? `${known.slice(0, 10).join(', ')}, ...` : known.join(', ');
      throw new NotFoundError(`CDI device "${name}" is not defined; ${parsed.kind} has ${shown}`);
    }
    if (entry.conflict !== undefined) {
      throw new FailedPreconditionError(`CDI device "${name}" is defined by both ${entry.from.path} and ${entry.conflict}: remove one of them`);
    }
    return entry;
  }

  return {
    deviceNames: () =>
      [...entries.entries()]
        .filter(([, e]) => e.conflict === undefined)
        .map(([n]) => n)
        .sort(),
    resolve(names) {
      const resolved: ResolvedCdiEdits[] = [];
      const specsApplied = new Set<LoadedCdiSpec>();
      const seen = new Set<string>();
      for (const name of names) {
        if (seen.has(name)) continue;
        seen.add(name);
        const entry = lookup(name);
        if (!specsApplied.has(entry.from)) {
          specsApplied.add(entry.from);
          if (entry.from.spec.containerEdits !== undefined) {
            resolved.push({ source: `spec ${entry.from.path}`, edits: entry.from.spec.containerEdits });
          }
        }
        resolved.push({ source: `device ${name}`, edits: entry.device.containerEdits });
      }
      return resolved;
    },
  };
}
