// CrashLoopBackOff: the first restart of a container is immediate, then each further restart
// waits 10 s after the exit, doubling up to 300 s; a run of 10 min or more forgets the history
// (upstream kubelet defaults). Keyed by pod uid + container name, driven by exit times from the
// runtime so that re-observing the same exit never grows the delay.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** A container that ran at least this long before exiting starts over at no delay. */
  resetAfterMs: number;
}

export const crashLoopBackoffDefaults: BackoffOptions = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

export interface ContainerExit {
  startedAtMs: number;
  finishedAtMs: number;
}

export type BackoffDecision = { restart: true } | { restart: false; untilMs: number; delayMs: number };

interface Entry {
  delayMs: number;
  exitAtMs: number;
}

export class RestartBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: BackoffOptions = crashLoopBackoffDefaults) {}

  /** Whether the container that made `exit` may restart at `nowMs`, and if not, until when it waits. */
  check(key: string, exit: ContainerExit, nowMs: number): BackoffDecision {
    let entry = this.entries.get(key);
    if (entry && entry.exitAtMs !== exit.finishedAtMs) {
      const ranLong = exit.finishedAtMs - exit.startedAtMs >= this.options.resetAfterMs;
      entry = ranLong ? undefined : { delayMs: entry.delayMs === 0 ? this.options.initialMs : Math.min(entry.delayMs * 2, this.options.maxMs), exitAtMs: exit.finishedAtMs };
    }
    entry ??= { delayMs: 0, exitAtMs: exit.finishedAtMs };
    this.entries.set(key, entry);
    const untilMs = entry.exitAtMs + entry.delayMs;
    return nowMs >= untilMs ? { restart: true } : { restart: false, untilMs, delayMs: entry.delayMs };
  }

  /** Forgets every key that starts with `prefix` (a pod's uid when the pod goes away). */
  forget(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
