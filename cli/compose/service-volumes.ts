// A service's volumes:, short syntax ("./data:/data:ro", "cache:/cache", "/only/in/container")
// and long ({type, source, target, read_only}). As in docker compose, a source that starts with
// ".", "/" or "~" is a host path (relative ones against the project directory, ".." resolved
// lexically, as docker's filepath.Join does), anything else the key of a top-level volume,
// which must be declared there. Pure.
import { isAbsolute, resolve } from 'node:path';
import { InvalidArgumentError } from '../../common/errors.js';
import type { VolumeMount } from './compose-model.js';
import { isMap } from './merge-files.js';

export interface VolumeContext {
  projectDir: string;
  homeDir: string;
  /** The keys of top-level volumes:. */
  declared: ReadonlySet<string>;
}

// SELinux relabelling and macOS consistency flags have no effect on this host; docker accepts them too.
const ignoredModes = new Set(['z', 'Z', 'cached', 'delegated', 'consistent', 'rw']);

const isHostPath = (source: string) => source.startsWith('.') || source.startsWith('/') || source.startsWith('~');

function hostPath(source: string, context: VolumeContext): string {
  if (source === '~' || source.startsWith('~/')) return resolve(context.homeDir, source.slice(2));
  return resolve(context.projectDir, source);
}

function checkTarget(target: string, where: string): void {
  if (!isAbsolute(target)) throw new InvalidArgumentError(`${where}: the container path "${target}" must be absolute`);
}

function namedOrBind(source: string, target: string, readOnly: boolean, where: string, context: VolumeContext): VolumeMount {
  checkTarget(target, where);
  if (isHostPath(source)) return { type: 'bind', source: hostPath(source, context), target, readOnly };
  if (!context.declared.has(source)) {
    throw new InvalidArgumentError(`${where}: the service refers to undefined volume ${source}: declare it under the top-level volumes: key, or write ./${source} for a directory`);
  }
  return { type: 'volume', source, target, readOnly };
}

function shortSyntax(text: string, where: string, context: VolumeContext): VolumeMount {
  const parts = text.split(':');
  if (parts.length === 1) {
    checkTarget(text, where);
    return { type: 'volume', source: '', target: text, readOnly: false };
  }
  const [source = '', target = '', modes = '', ...extra] = parts;
  if (extra.length > 0 || source === '') throw new InvalidArgumentError(`${where}: "${text}" is not SOURCE:TARGET[:MODE]`);
  let readOnly = false;
  for (const mode of modes === '' ? [] : modes.split(',')) {
    if (mode === 'ro') readOnly = true;
    else if (!ignoredModes.has(mode)) throw new InvalidArgumentError(`${where}: the mode "${mode}" is not ro or rw`);
  }
  return namedOrBind(source, target, readOnly, where, context);
}

function longSyntax(entry: Record<string, unknown>, where: string, context: VolumeContext): VolumeMount {
  const type = String(entry['type'] ?? 'volume');
  const target = String(entry['target'] ?? '');
  const source = entry['source'] === undefined ? '' : String(entry['source']);
  const readOnly = entry['read_only'] === true;
  if (target === '') throw new InvalidArgumentError(`${where}: target (the container path) is required`);
  if (type === 'bind') {
    if (source === '') throw new InvalidArgumentError(`${where}: a bind mount needs a source`);
    checkTarget(target, where);
    return { type: 'bind', source: hostPath(source, context), target, readOnly };
  }
  if (type !== 'volume') throw new InvalidArgumentError(`${where}: type ${type} is not supported by berth compose (bind or volume)`);
  if (source === '') {
    checkTarget(target, where);
    return { type: 'volume', source: '', target, readOnly };
  }
  return namedOrBind(source, target, readOnly, where, context);
}

export function parseVolumes(value: unknown, where: string, context: VolumeContext): VolumeMount[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${where} must be a list`);
  return value.map((entry, index) => {
    const at = `${where}[${index}]`;
    if (typeof entry === 'string') return shortSyntax(entry, at, context);
    if (isMap(entry)) return longSyntax(entry, at, context);
    throw new InvalidArgumentError(`${at}: a volume is "SOURCE:TARGET" text or a map with type, source and target`);
  });
}
