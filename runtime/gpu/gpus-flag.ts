// docker's --gpus syntax, the one parser for the CLI and the `berth.dev/gpus` CRI annotation:
//   all | <count> | count=<n|all> | device=<index|GPU-uuid>[,...] | capabilities=<cap>[,...]
//   | driver=nvidia | options=<k=v>[,...]
// The value is one CSV record, as docker reads it: a field with commas in it is quoted as a
// whole ('"device=0,2"'). A bare field is a count, except that a bare name that cannot be a
// count ("utility", "GPU-...") continues the list of the key before it, so that
// `capabilities=compute,utility` means what it says; `device=0,2` stays ambiguous (is 2 a count?)
// and is refused with the quoting hint, as docker does.
import { InvalidArgumentError } from '../../common/errors.js';
import { defaultDriverCapabilities, driverCapabilities, isDriverCapability, type DriverCapability } from './driver-capabilities.js';

export type GpuId = { index: number } | { uuid: string };

export type GpuDevices = 'all' | { count: number } | { ids: GpuId[] };

export interface GpuRequest {
  devices: GpuDevices;
  capabilities: DriverCapability[];
  options: Record<string, string>;
}

export const gpusAnnotation = 'berth.dev/gpus';

const keys = ['count', 'device', 'capabilities', 'driver', 'options'] as const;
type Key = (typeof keys)[number];

/** Splits one CSV record with Go encoding/csv's quoting rules. */
function csvFields(value: string, fail: (reason: string) => never): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        if (i >= value.length) fail('a quote is not closed');
        if (value[i] === '"') {
          if (value[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += value[i];
        i++;
      }
      if (i < value.length && value[i] !== ',') fail(`text after a closing quote; quote whole fields, e.g. '"device=0,2"'`);
    } else {
      const end = value.indexOf(',', i);
      field = value.slice(i, end < 0 ? value.length : end);
      if (field.includes('"')) fail(`a quote inside a field; quote whole fields, e.g. '"device=0,2"'`);
      i += field.length;
    }
    fields.push(field.trim());
    if (i >= value.length) return fields;
    i++; // the comma
  }
}

function isCount(token: string): boolean {
  return token === 'all' || /^-?\d+$/.test(token);
}

/** Parses a --gpus value; `source` names where it came from in errors ("--gpus", an annotation). */
export function parseGpuRequest(value: string, source = '--gpus'): GpuRequest {
  const fail = (reason: string): never => {
    throw new InvalidArgumentError(`${source} "${value}": ${reason}`);
  };
  if (value.trim() === '') fail('empty; use "all", a count like "2", or "device=0"');

  const seen = new Map<Key, string[]>();
  let last: Key | undefined;
  for (const field of csvFields(value, fail)) {
    const eq = field.indexOf('=');
    if (eq < 0) {
      if (!isCount(field) && (last === 'device' || last === 'capabilities' || last === 'options')) {
        seen.get(last)?.push(field);
        continue;
      }
      if (seen.has('count')) fail('the count is given twice');
      seen.set('count', [field]);
      last = 'count';
      continue;
    }
    const key = field.slice(0, eq).trim();
    if (!(keys as readonly string[]).includes(key)) fail(`unknown key "${key}"; use ${keys.join(', ')}`);
    const k = key as Key;
    if (seen.has(k)) fail(`"${k}" is given twice`);
    seen.set(
      k,
      field
        .slice(eq + 1)
        .split(',')
        .map((s) => s.trim()),
    );
    last = k;
  }

  const count = seen.get('count');
  const device = seen.get('device');
  if (count !== undefined && device !== undefined) {
    fail(`a count and devices cannot be combined; to list several devices quote them: '"device=0,2"'`);
  }
  const driver = seen.get('driver')?.join(',');
  if (driver !== undefined && driver !== 'nvidia') fail(`driver "${driver}" is not supported: berth injects NVIDIA GPUs only`);

  return {
    devices: device !== undefined ? parseDevices(device, fail) : parseCount(count?.join(',') ?? 'all', fail),
    capabilities: parseCapabilities(seen.get('capabilities'), fail),
    options: parseOptions(seen.get('options') ?? [], fail),
  };
}

function parseCount(text: string, fail: (reason: string) => never): GpuDevices {
  if (text === 'all') return 'all';
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    fail(`count "${text}" must be a positive number or "all"`);
  }
  return { count: Number(text) };
}

function parseDevices(list: string[], fail: (reason: string) => never): GpuDevices {
  if (list.length === 1 && list[0] === 'all') return 'all';
  const ids: GpuId[] = [];
  for (const id of list) {
    if (id === '') fail('a device is empty; list indexes or GPU-<uuid> separated by commas');
    else if (/^\d+$/.test(id)) ids.push({ index: Number(id) });
    else if (/^GPU-[0-9a-fA-F-]+$/.test(id)) ids.push({ uuid: id });
    else if (id.startsWith('MIG-') || /^\d+:\d+$/.test(id)) fail(`device "${id}" is a MIG device, which berth does not support yet`);
    else fail(`device "${id}" is neither a GPU index nor a GPU-<uuid>`);
  }
  return { ids };
}

function parseCapabilities(list: string[] | undefined, fail: (reason: string) => never): DriverCapability[] {
  if (list === undefined) return [...defaultDriverCapabilities];
  const caps = new Set<DriverCapability>();
  for (const cap of list) {
    if (cap === 'all') for (const c of driverCapabilities) caps.add(c);
    else if (isDriverCapability(cap)) caps.add(cap);
    else if (cap !== 'gpu') fail(`capability "${cap}" is unknown; use ${driverCapabilities.join(', ')} or all`);
  }
  // docker always adds "gpu" (its generic marker); alone it means the default capabilities.
  return caps.size === 0 ? [...defaultDriverCapabilities] : driverCapabilities.filter((c) => caps.has(c));
}

function parseOptions(list: string[], fail: (reason: string) => never): Record<string, string> {
  const options: Record<string, string> = {};
  for (const pair of list) {
    const eq = pair.indexOf('=');
    if (eq <= 0) fail(`option "${pair}" must be key=value`);
    options[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return options;
}

/** The GPU request in a container's annotations, if it makes one. */
export function gpuRequestFromAnnotations(annotations: Readonly<Record<string, string>>): GpuRequest | undefined {
  const value = annotations[gpusAnnotation];
  return value === undefined ? undefined : parseGpuRequest(value, `annotation ${gpusAnnotation}`);
}
