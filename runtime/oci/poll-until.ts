// Waiting for something another process does (conmon writing an exit file, renaming a log)
// where no event is offered: check, sleep a little, check again, until a deadline.
import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
}

/** Resolves true as soon as `check` does, false once `timeoutMs` has passed without it. */
export async function pollUntil(check: () => Promise<boolean>, options: PollOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 25;
  for (;;) {
    if (await check()) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(interval, left));
  }
}
