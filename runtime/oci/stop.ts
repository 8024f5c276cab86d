// Stopping a container the way the kubelet expects: the stop signal (the image's STOPSIGNAL,
// SIGTERM by default), up to `timeoutSeconds` for it to exit, then SIGKILL. "Exited" means the
// monitor has recorded the exit (or knows it never will), so a caller that asks for the exit
// status right after stop() finds it. Stopping a stopped container succeeds.
import type { Abortable } from '../../common/abort.js';
import { DeadlineExceededError, type BerthError } from '../../common/errors.js';
import { pollUntil } from './poll-until.js';

export interface StopPorts {
  kill(id: string, stopSignal: string, options?: Abortable): Promise<void>;
  /** Whether the container has exited and its exit is recorded. */
  exited(id: string): Promise<boolean>;
}

/** `signal` (Abortable) ends the wait early: the container is then left as it is, for the next stop. */
export interface StopOptions extends Abortable {
  timeoutSeconds: number;
  /** Default SIGTERM. */
  stopSignal?: string;
  /** How long SIGKILL may take to show (default 30 s); beyond it something is badly wrong. */
  killWaitMs?: number;
  pollIntervalMs?: number;
}

export type StopOutcome = 'already-exited' | 'exited-after-signal' | 'killed';

/** Kill errors that mean "it is not running any more": the wait below settles those. */
function isGone(error: unknown): boolean {
  const code = (error as Partial<BerthError>).code;
  return code === 'NOT_FOUND' || code === 'FAILED_PRECONDITION';
}

async function send(ports: StopPorts, id: string, stopSignal: string, options: Abortable): Promise<void> {
  try {
    await ports.kill(id, stopSignal, options);
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}

export async function stopContainer(ports: StopPorts, id: string, options: StopOptions): Promise<StopOutcome> {
  if (await ports.exited(id)) return 'already-exited';
  const interval = options.pollIntervalMs ?? 25;
  const stopSignal = options.stopSignal ?? 'SIGTERM';
  const abortable: Abortable = { signal: options.signal };
  const what = `container ${id} to exit`;
  if (options.timeoutSeconds > 0 && stopSignal.toUpperCase().replace(/^SIG/, '') !== 'KILL') {
    await send(ports, id, stopSignal, abortable);
    const exited = await pollUntil(() => ports.exited(id), { timeoutMs: options.timeoutSeconds * 1000, intervalMs: interval, signal: options.signal, what });
    if (exited) return 'exited-after-signal';
  }
  await send(ports, id, 'SIGKILL', abortable);
  const killWaitMs = options.killWaitMs ?? 30_000;
  if (!(await pollUntil(() => ports.exited(id), { timeoutMs: killWaitMs, intervalMs: interval, signal: options.signal, what }))) {
    throw new DeadlineExceededError(`container ${id} did not exit within ${killWaitMs} ms of SIGKILL; check its monitor (conmon) and the runtime's state`);
  }
  return 'killed';
}
