// CDI spec files on disk: reading every spec in the search directories, and writing berth's
// generated spec. A broken file from one vendor must not hide the others' devices, so it is
// reported beside the good specs, not thrown.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import { errorMessage, InvalidArgumentError } from '../../../common/errors.js';
import type { CdiSpec } from './cdi-types.js';
import type { LoadedCdiSpec } from './cdi-registry.js';
import { validateCdiSpec } from './validate-spec.js';

export interface SpecLoadError {
  path: string;
  message: string;
}

export interface LoadedSpecs {
  specs: LoadedCdiSpec[];
  errors: SpecLoadError[];
}

const specExtensions = new Set(['.json', '.yaml', '.yml']);

function parseDocument(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (extname(path) === '.json') throw new InvalidArgumentError(`CDI spec ${path} is not valid JSON: ${errorMessage(error)}`);
    // JSON is YAML, so a .yaml spec written as JSON is read; real YAML needs a parser berth
    // does not have yet.
    throw new InvalidArgumentError(`CDI spec ${path} is YAML, which berth cannot read yet: write the spec as JSON`);
  }
}

/** Every spec in `dirs` (lowest priority first); a missing directory is simply empty. */
export async function loadCdiSpecs(dirs: readonly string[]): Promise<LoadedSpecs> {
  const specs: LoadedCdiSpec[] = [];
  const errors: SpecLoadError[] = [];
  for (const [priority, dir] of dirs.entries()) {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => specExtensions.has(extname(n)) && !n.startsWith('.')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') errors.push({ path: dir, message: errorMessage(error) });
      continue;
    }
    for (const name of names) {
      const path = join(dir, name);
      try {
        const spec = validateCdiSpec(parseDocument(await readFile(path, 'utf8'), path), path);
        specs.push({ spec, path, priority });
      } catch (error) {
        errors.push({ path, message: errorMessage(error) });
      }
    }
  }
  return { specs, errors };
}

/** "nvidia.com/gpu" → "nvidia.com-gpu.json": one file per kind that berth generates. */
export function specFileName(kind: string): string {
  return `${kind.replace(/\//g, '-')}.json`;
}

/** Writes `spec` whole into `dir` (created if needed) and returns the file's path. */
export async function writeCdiSpec(spec: CdiSpec, dir: string): Promise<string> {
  validateCdiSpec(spec, `generated for ${spec.kind}`);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const path = join(dir, specFileName(spec.kind));
  // Readable by every CDI consumer (podman, containerd, nvidia-ctk), not only root.
  await writeFileAtomic(path, `${JSON.stringify(spec, null, 2)}\n`, 0o644);
  return path;
}
