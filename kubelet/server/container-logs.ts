// /containerLogs/{namespace}/{pod}/{container}: what `kubectl logs` reads through the API server.
// The container is found by the kubelet labels; its CRI log file is read and rendered with the
// upstream options (previous, timestamps, tailLines, sinceSeconds, sinceTime, limitBytes, follow).
// Only a regular file below the node's pod log directory is ever read: the path comes from the
// runtime, and a container made through the CRI by anyone else can carry the kubelet's labels
// and any log directory (/etc, say).
import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative } from 'node:path';
import type { Writable } from 'node:stream';
import { FileTail } from '../../common/file-tail.js';
import { InvalidArgumentError, NotFoundError } from '../../common/errors.js';
import type { CriPort } from '../cri-port.js';
import { containerNameLabel, podNameLabel, podNamespaceLabel } from '../cri-port.js';
import { checkedName, pathSegments, shown } from './path-names.js';

export interface LogTarget {
  namespace: string;
  pod: string;
  container: string;
}

/** Pure: the container a /containerLogs/{namespace}/{pod}/{container} path names. */
export function parseLogTarget(pathname: string): LogTarget {
  const parts = pathSegments(pathname);
  if (parts.length !== 4) throw new InvalidArgumentError('containerLogs takes /containerLogs/{namespace}/{pod}/{container}');
  const [, namespace = '', pod = '', container = ''] = parts;
  return { namespace: checkedName('namespace', namespace), pod: checkedName('pod', pod), container: checkedName('container', container) };
}

export interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines: number | undefined;
  limitBytes: number | undefined;
  /** Only lines at or after this time (ms since epoch). */
  sinceMs: number | undefined;
}

function flag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null || value === 'false' || value === '0') return false;
  if (value === '' || value === 'true' || value === '1') return true;
  throw new InvalidArgumentError(`${name}=${shown(value)} is not a boolean`);
}

// Upstream parses these as int64; past 2^53 a JavaScript number would silently round instead.
function count(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name}=${shown(value)} must be a non-negative integer`);
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new InvalidArgumentError(`${name}=${shown(value)} is out of range (at most ${Number.MAX_SAFE_INTEGER})`);
  return number;
}

/** Pure: the query string of a containerLogs request. */
export function parseLogOptions(query: URLSearchParams, nowMs: number): LogOptions {
  const sinceSeconds = count(query, 'sinceSeconds');
  const sinceTime = query.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime !== null) throw new InvalidArgumentError('at most one of sinceSeconds and sinceTime');
  // As upstream's validation of PodLogOptions.
  if (sinceSeconds === 0) throw new InvalidArgumentError('sinceSeconds must be greater than 0');
  let sinceMs: number | undefined;
  if (sinceSeconds !== undefined) sinceMs = nowMs - sinceSeconds * 1000;
  if (sinceTime !== null) {
    sinceMs = Date.parse(sinceTime);
    if (Number.isNaN(sinceMs)) throw new InvalidArgumentError(`sinceTime=${shown(sinceTime)} is not an RFC 3339 time`);
  }
  const limitBytes = count(query, 'limitBytes');
  if (limitBytes === 0) throw new InvalidArgumentError('limitBytes must be positive');
  return { follow: flag(query, 'follow'), previous: flag(query, 'previous'), timestamps: flag(query, 'timestamps'), tailLines: count(query, 'tailLines'), limitBytes, sinceMs };
}

export interface LogLine {
  time: string;
  text: string;
  /** The output's end came without a newline (the file ends in P records): sent without one, as upstream. */
  unterminated?: boolean;
}

/**
 * Pure: CRI log lines ("<time> <stream> <P|F> <text>") as whole lines, partial ones joined.
 * `rest` is what a later read must parse again: an unfinished record, and any P records with no F
 * after them yet, which `unterminated` holds joined (output that ended without a newline, like
 * `printf x` or `cat` of a file with none).
 */
export function parseCriLog(content: string): { lines: LogLine[]; rest: string; unterminated: LogLine | undefined } {
  const lines: LogLine[] = [];
  const raw = content.split('\n');
  const unfinished = raw.pop() ?? '';
  let partial: { first: number; time: string; text: string } | undefined;
  raw.forEach((line, index) => {
    const [time = '', , tag, ...words] = line.split(' ');
    if (tag === undefined) return;
    const text = words.join(' ');
    if (tag === 'P') {
      partial = partial ? { ...partial, text: partial.text + text } : { first: index, time, text };
      return;
    }
    lines.push({ time, text: (partial?.text ?? '') + text });
    partial = undefined;
  });
  if (!partial) return { lines, rest: unfinished, unterminated: undefined };
  return { lines, rest: [...raw.slice(partial.first), unfinished].join('\n'), unterminated: { time: partial.time, text: partial.text, unterminated: true } };
}

/** Pure: the lines to send, with the options that apply to a finished read. */
export function selectLines(lines: LogLine[], options: LogOptions): LogLine[] {
  let out = options.sinceMs === undefined ? lines : lines.filter((l) => Date.parse(l.time) >= (options.sinceMs ?? 0));
  if (options.tailLines !== undefined) out = options.tailLines === 0 ? [] : out.slice(-options.tailLines);
  return out;
}

/** Pure: a CRI log time as upstream prints it (Go's RFC3339Nano in UTC: "Z", no trailing zeros). */
export function rfc3339Nano(time: string): string {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!match) return time;
  const [, base = '', fraction = '', zone = ''] = match;
  const trimmed = fraction.replace(/0+$/, '').replace(/^\.$/, '');
  if (zone === 'Z' || zone === '+00:00' || zone === '-00:00') return `${base}${trimmed}Z`;
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? time : date.toISOString().replace(/\.?0+Z$/, 'Z');
}

const render = (line: LogLine, timestamps: boolean): string => `${timestamps ? `${rfc3339Nano(line.time)} ` : ''}${line.text}${line.unterminated ? '' : '\n'}`;

async function findContainer(cri: CriPort, namespace: string, pod: string, container: string, previous: boolean): Promise<string> {
  const listed = await cri.listContainers({ labelSelector: { [podNamespaceLabel]: namespace, [podNameLabel]: pod, [containerNameLabel]: container } });
  const instances = [...listed.containers].sort((a, b) => (b.metadata?.attempt ?? 0) - (a.metadata?.attempt ?? 0) || Number(BigInt(b.createdAt) - BigInt(a.createdAt)));
  const chosen = previous ? instances[1] : instances[0];
  if (!chosen) {
    throw new NotFoundError(previous ? `previous terminated container "${container}" in pod "${pod}" not found` : `container "${container}" in pod "${pod}" is not available`);
  }
  return chosen.id;
}

const isWithin = (dir: string, path: string): boolean => {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

/**
 * Refuses a log path that is not a regular file (or not yet a file) in a directory below
 * `podLogsDir`, symbolic links resolved. The runtime alone writes those directories.
 */
async function checkLogPath(logPath: string, podLogsDir: string, target: LogTarget): Promise<void> {
  const where = `the log file of container "${target.container}" in pod "${target.namespace}/${target.pod}"`;
  const dir = await realpath(dirname(logPath)).catch(() => undefined);
  const root = await realpath(podLogsDir).catch(() => podLogsDir);
  if (!isAbsolute(logPath) || dir === undefined || !isWithin(root, dir)) {
    throw new NotFoundError(`${where} (${shown(logPath)}) is not under the node's pod log directory ${podLogsDir}: not served`);
  }
  const stats = await lstat(logPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (stats && !stats.isFile()) throw new NotFoundError(`${where} (${shown(logPath)}) is not a regular file: not served`);
}

export interface ContainerLog {
  containerId: string;
  logPath: string;
}

/** The container's log file, or the refusal (404) to answer before anything is sent. */
export async function findContainerLog(cri: CriPort, podLogsDir: string, target: LogTarget, previous: boolean): Promise<ContainerLog> {
  const containerId = await findContainer(cri, target.namespace, target.pod, target.container, previous);
  const logPath = (await cri.containerStatus(containerId)).status?.logPath ?? '';
  if (!logPath) throw new NotFoundError(`container "${target.container}" in pod "${target.pod}" has no log file`);
  await checkLogPath(logPath, podLogsDir, target);
  return { containerId, logPath };
}

/** Streams the log to `out`; with follow, until the container stops or `closed` resolves. */
export async function streamContainerLog(cri: CriPort, { containerId: id, logPath }: ContainerLog, options: LogOptions, out: Writable, closed: Promise<void>): Promise<void> {
  let budget = options.limitBytes ?? Infinity;
  const send = (lines: LogLine[]): boolean => {
    for (const line of lines) {
      let text = render(line, options.timestamps);
      if (Buffer.byteLength(text) > budget) text = Buffer.from(text).subarray(0, budget).toString('utf8');
      budget -= Buffer.byteLength(text);
      out.write(text);
      if (budget <= 0) return false;
    }
    return true;
  };
  const tail = new FileTail(logPath);
  const first = parseCriLog(await tail.readNew().catch(() => ''));
  // Without follow the output ends here, an unterminated last piece with it.
  if (!options.follow) {
    send(selectLines(first.unterminated ? [...first.lines, first.unterminated] : first.lines, options));
    return;
  }
  if (!send(selectLines(first.lines, options))) return;

  let stopped = false;
  void closed.then(() => {
    stopped = true;
  });
  let pending = first.rest;
  let checkedAt = 0;
  while (!stopped) {
    const added = await tail.readNew();
    if (added !== '') {
      const parsed = parseCriLog(pending + added);
      pending = parsed.rest;
      if (!send(parsed.lines.filter((l) => options.sinceMs === undefined || Date.parse(l.time) >= options.sinceMs))) return;
    } else if (Date.now() - checkedAt > 1000) {
      checkedAt = Date.now();
      const state = (await cri.containerStatus(id).catch(() => undefined))?.status?.state;
      if (state !== 'CONTAINER_RUNNING') {
        const last = parseCriLog(pending + (await tail.readNew())).unterminated;
        if (last && (options.sinceMs === undefined || Date.parse(last.time) >= options.sinceMs)) send([last]);
        return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
