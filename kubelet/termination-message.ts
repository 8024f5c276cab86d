// A container's termination message, as upstream's kubelet reads it when the container has exited:
// the file it mounted at terminationMessagePath (at most 4096 bytes), and, with the policy
// FallbackToLogsOnError, the tail of the container's log (80 lines, 2048 bytes) when that file is
// empty and the container failed. Only files the kubelet owns are ever read: the mount's host path
// must lie below this kubelet's pods directory and the log below its pod log directory, because a
// container made through the CRI by anyone can carry the kubelet's annotations and any mounts.
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import type { ContainerStatus__Output } from '../api/cri/messages.js';

export const terminationMessagePathAnnotation = 'io.kubernetes.container.terminationMessagePath';
export const terminationMessagePolicyAnnotation = 'io.kubernetes.container.terminationMessagePolicy';
export const defaultTerminationMessagePath = '/dev/termination-log';

/** Upstream's limits: the file's first 4 KiB; the log's last 80 lines within 2 KiB. */
const maxFileBytes = 4096;
const maxLogBytes = 2048;
const maxLogLines = 80;

export interface TerminationMessageDirs {
  /** The kubelet's pods directory (<root-dir>/pods), where it makes the message files. */
  podsDir: string;
  /** The pod log directory the kubelet asks runtimes to log under. */
  podLogsDir: string;
}

/** The host file of a container's termination message: one per container instance. */
export function terminationMessageHostPath(podsDir: string, podUid: string, container: string, attempt: number): string {
  return join(podsDir, podUid, 'containers', container, String(attempt));
}

/** The reader a pod status cache uses for the kubelet with these directories. */
export function terminationMessageReader(dirs: TerminationMessageDirs): (status: ContainerStatus__Output) => Promise<string> {
  return (status) => readTerminationMessage(status, dirs);
}

/** Reads what an exited container left as its termination message ('' when nothing). */
export async function readTerminationMessage(status: ContainerStatus__Output, dirs: TerminationMessageDirs): Promise<string> {
  const path = status.annotations[terminationMessagePathAnnotation];
  if (!path) return '';
  const mount = status.mounts.find((m) => m.containerPath === path);
  const fromFile = mount ? await readOwnedFile(mount.hostPath, dirs.podsDir, 'head', maxFileBytes) : '';
  if (fromFile !== '') return fromFile;
  const fallBack = status.annotations[terminationMessagePolicyAnnotation] === 'FallbackToLogsOnError' && status.exitCode !== 0 && status.reason !== 'ContainerCannotRun';
  if (!fallBack || !status.logPath) return '';
  return lastLogLines(await readOwnedFile(status.logPath, dirs.podLogsDir, 'tail', maxLogBytes));
}

/** Pure: the content of the last lines of a CRI log text (`<time> <stream> <P|F> <content>`). */
export function lastLogLines(text: string, maxLines = maxLogLines): string {
  const lines = text.split('\n').filter((line) => line !== '');
  let out = '';
  for (const line of lines.slice(-maxLines)) {
    const match = /^\S+ (?:stdout|stderr) ([PF]) ?(.*)$/.exec(line);
    if (!match) continue;
    // A partial line (P) continues in the next record; a full one (F) ends with the newline.
    out += match[1] === 'P' ? (match[2] ?? '') : `${match[2] ?? ''}\n`;
  }
  return out;
}

/** Up to `bytes` bytes from the head or the tail of a regular file below `dir`; '' for anything else. */
async function readOwnedFile(path: string, dir: string, end: 'head' | 'tail', bytes: number): Promise<string> {
  if (!isAbsolute(path)) return '';
  const [real, realDir] = await Promise.all([realpath(path).catch(() => ''), realpath(dir).catch(() => '')]);
  const inside = real !== '' && realDir !== '' && !relative(realDir, real).startsWith('..') && relative(realDir, real) !== '';
  if (!inside) return '';
  const file = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
  if (!file) return '';
  try {
    const info = await file.stat();
    if (!info.isFile()) return '';
    const length = Math.min(bytes, info.size);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await file.read(buffer, 0, length, end === 'head' ? 0 : info.size - length);
    let text = buffer.subarray(0, bytesRead).toString('utf8');
    // A tail that starts mid-line drops that partial first line.
    if (end === 'tail' && length < info.size) text = text.slice(text.indexOf('\n') + 1);
    return text;
  } finally {
    await file.close();
  }
}
