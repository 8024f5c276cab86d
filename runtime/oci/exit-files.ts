// conmon writes a container's exit code, as decimal text, to <exit-dir>/<container id> once
// the container has exited and its output is drained; the file's mtime is when that happened.
// A container can also be found stopped with no exit file: conmon was killed or crashed before
// it could write one. Then the exit code is unknown, and berth says so instead of guessing.
import { mkdirSync, watch } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface ExitStatus {
  exitCode: number;
  /** Nanoseconds since the epoch, as decimal text (CRI timestamps overflow a double). */
  finishedAt: string;
  reason?: string;
  message?: string;
}

/** The exit code conmon records when it has none (it writes -1; CRI reports the byte value). */
export const unknownExitCode = 255;

/** Pure: the exit code in an exit file's text; undefined for an empty or half-written file. */
export function parseExitCode(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^-?\d{1,10}$/.test(trimmed)) return undefined;
  const code = Number(trimmed);
  // conmon writes -1 for an exit it could not observe (e.g. a timed-out exec).
  return code < 0 ? unknownExitCode : code;
}

export function exitFilePath(exitDir: string, containerId: string): string {
  return join(exitDir, containerId);
}

/** The ids of the containers conmon has written an exit file for: one directory read. */
export async function listExitFiles(exitDir: string): Promise<Set<string>> {
  try {
    return new Set(await readdir(exitDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw error;
  }
}

/** The exit status conmon recorded, or undefined while there is none (yet). */
export async function readExitFile(exitDir: string, containerId: string): Promise<ExitStatus | undefined> {
  const path = exitFilePath(exitDir, containerId);
  let text: string;
  let mtimeNs: bigint;
  try {
    // One read while there is no file (every ContainerStatus of a running container); the stat
    // only once there is.
    text = await readFile(path, 'utf8');
    ({ mtimeNs } = await stat(path, { bigint: true }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const exitCode = parseExitCode(text);
  if (exitCode === undefined) return undefined;
  return { exitCode, finishedAt: mtimeNs.toString() };
}

/** The status to report for a container that is gone without an exit file. */
export function unknownExit(containerId: string, now: bigint = BigInt(Date.now()) * 1_000_000n): ExitStatus {
  return {
    exitCode: unknownExitCode,
    finishedAt: now.toString(),
    reason: 'Unknown',
    message: `container ${containerId} stopped but its monitor (conmon) recorded no exit code: conmon exited or was killed first, so the exit code is unknown`,
  };
}

/**
 * Calls `onExitFile` with a container id soon after conmon writes its exit file (inotify, through
 * fs.watch), so exits are noticed without a list call. A hint only: an event may be coalesced or
 * name a file still being written, so the receiver re-reads the file and a relist stays the
 * lossless path. Returns the function that stops watching.
 */
export function watchExitFiles(exitDir: string, onExitFile: (containerId: string) => void, onError: (error: Error) => void): () => void {
  mkdirSync(exitDir, { recursive: true, mode: 0o700 });
  const watcher = watch(exitDir, { persistent: false }, (_event, name) => {
    if (name) onExitFile(String(name));
  });
  watcher.on('error', onError);
  return () => watcher.close();
}
