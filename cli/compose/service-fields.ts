// The smaller parts of a service, each from its compose forms to one shape: command and
// entrypoint (a string is split as a shell would split words, without running one), durations
// ("1m30s"), byte sizes ("512m", "1gb"), healthcheck, and GPU reservations as docker's --gpus
// syntax (what `berth run --gpus` takes). Pure.
import { InvalidArgumentError } from '../../common/errors.js';
import type { Healthcheck } from './compose-model.js';
import { isMap } from './merge-files.js';

/** Words of `text` as sh would split them: quotes group, backslashes escape; nothing expands. */
export function splitWords(text: string, where: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (c === '\\' && i + 1 < text.length && (quote === undefined || '"\\$`'.includes(text[i + 1] ?? ''))) {
      word += text[++i];
      inWord = true;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new InvalidArgumentError(`${where}: the ${quote === '"' ? 'double' : 'single'} quote is never closed`);
  if (inWord) words.push(word);
  return words;
}

/** command: / entrypoint: as an argv; undefined when not given (the image's stays). */
export function argvOf(value: unknown, where: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return splitWords(value, where);
  if (Array.isArray(value) && value.every((item) => ['string', 'number', 'boolean'].includes(typeof item))) return value.map(String);
  throw new InvalidArgumentError(`${where} must be a string or a list of strings`);
}

const durationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's duration syntax ("1m30s", "500ms", "10s"), as milliseconds; a bare number is seconds. */
export function durationMs(value: unknown, where: string): number {
  if (typeof value === 'number') return value * 1000;
  const text = String(value);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (text === '' || parts.map((part) => part[0]).join('') !== text) throw new InvalidArgumentError(`${where}: "${text}" is not a duration such as 30s, 1m30s or 500ms`);
  return parts.reduce((sum, part) => sum + Number(part[1]) * (durationUnits[part[2] ?? ''] ?? 0), 0);
}

const byteUnits: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Docker's RAMInBytes ("512m", "1.5g", "256MiB", "1024"), as a count of bytes in text. */
export function bytesOf(value: unknown, where: string): string {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(String(value).trim());
  const unit = byteUnits[match?.[2]?.toLowerCase() ?? ''];
  if (!match || unit === undefined) throw new InvalidArgumentError(`${where}: "${String(value)}" is not a size such as 512m or 1g`);
  return String(Math.floor(Number(match[1]) * unit));
}

export function cpusOf(value: unknown, where: string): string {
  const text = String(value);
  if (!/^\d*\.?\d+$/.test(text) || Number(text) <= 0) throw new InvalidArgumentError(`${where}: "${text}" is not a positive number of CPUs`);
  return text;
}

/** healthcheck: as an argv to run in the container; undefined when there is none or it is disabled. */
export function healthcheckOf(value: unknown, where: string): Healthcheck | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isMap(value)) throw new InvalidArgumentError(`${where} must be a map`);
  if (value['disable'] === true) return undefined;
  const test = value['test'];
  let argv: string[];
  if (typeof test === 'string') argv = ['/bin/sh', '-c', test];
  else if (Array.isArray(test) && test[0] === 'NONE') return undefined;
  else if (Array.isArray(test) && test[0] === 'CMD' && test.length > 1) argv = test.slice(1).map(String);
  else if (Array.isArray(test) && test[0] === 'CMD-SHELL' && test.length === 2) argv = ['/bin/sh', '-c', String(test[1])];
  else throw new InvalidArgumentError(`${where}.test: a string, ["CMD", program, args...], ["CMD-SHELL", "command"] or ["NONE"]`);
  const duration = (key: string, fallback: number) => (value[key] === undefined ? fallback : durationMs(value[key], `${where}.${key}`));
  const retries = value['retries'] === undefined ? 3 : Number(value['retries']);
  if (!Number.isInteger(retries) || retries < 1) throw new InvalidArgumentError(`${where}.retries: a whole number of at least 1`);
  // docker's defaults: every 30 s, a 30 s timeout, unhealthy after 3 failures.
  return { test: argv, intervalMs: duration('interval', 30_000), timeoutMs: duration('timeout', 30_000), retries, startPeriodMs: duration('start_period', 0) };
}

/** One device reservation as docker's --gpus value, e.g. 'count=1' or '"device=0,2","capabilities=utility,compute"'. */
function gpusOfDevice(device: Record<string, unknown>, where: string): string {
  const capabilities = (Array.isArray(device['capabilities']) ? device['capabilities'] : []).map(String);
  if (device['driver'] !== undefined && device['driver'] !== 'nvidia')
    throw new InvalidArgumentError(`${where}.driver: berth reserves NVIDIA GPUs only (driver: nvidia), not ${String(device['driver'])}`);
  if (!capabilities.includes('gpu')) throw new InvalidArgumentError(`${where}.capabilities: berth reserves GPUs only; list [gpu]`);
  const fields: string[] = [];
  if (device['device_ids'] !== undefined) {
    if (device['count'] !== undefined) throw new InvalidArgumentError(`${where}: count and device_ids cannot both be set`);
    const ids = Array.isArray(device['device_ids']) ? device['device_ids'].map(String) : [];
    if (ids.length === 0) throw new InvalidArgumentError(`${where}.device_ids must list GPU indexes or UUIDs`);
    fields.push(`device=${ids.join(',')}`);
  } else {
    const count = device['count'] ?? 'all';
    if (count !== 'all' && !(Number.isInteger(Number(count)) && Number(count) > 0)) throw new InvalidArgumentError(`${where}.count: a positive number or all`);
    fields.push(count === 'all' ? 'all' : `count=${count}`);
  }
  // "gpu" asks for the device; the others are the driver capabilities docker passes on.
  const driver = capabilities.filter((capability) => capability !== 'gpu');
  if (driver.length > 0) fields.push(`capabilities=${driver.join(',')}`);
  return fields.map((field) => (field.includes(',') ? `"${field}"` : field)).join(',');
}

export function gpusOf(devices: unknown, where: string): string | undefined {
  if (devices === undefined || devices === null) return undefined;
  if (!Array.isArray(devices) || devices.length === 0 || !devices.every(isMap)) throw new InvalidArgumentError(`${where} must be a list of device reservations`);
  if (devices.length > 1) throw new InvalidArgumentError(`${where}: berth takes one GPU reservation per service (as one --gpus flag)`);
  return gpusOfDevice(devices[0] as Record<string, unknown>, `${where}[0]`);
}
