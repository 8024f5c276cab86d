// Waiting for something another process does (conmon writing an exit file, renaming a log)
// where no event is offered: check, sleep a little, check again, until a deadline.
import { setTimeout as sleep } from 'node:timers/promises';
import { throwIfAborted, type Abortable } from '../../common/abort.js';

export interface PollOptions extends Abortable {
  timeoutMs: number;
  intervalMs?: number;
  /** What is awaited, for the error when `signal` aborts the wait. */
  what?: string;
}

/**
 * Resolves true as soon as `check` does, false once `timeoutMs` has passed without it; rejects
 * (DeadlineExceeded or Cancelled) when `signal` aborts first.
 */
export async function pollUntil(check: () => Promise<boolean>, options: PollOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 25;
  for (;;) {
    throwIfAborted(options.signal, `waiting for ${options.what ?? 'a change'}`);
    if (await check()) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(interval, left));
  }
}
