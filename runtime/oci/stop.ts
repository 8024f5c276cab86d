// Stopping a container the way the kubelet expects: the stop signal (the image's STOPSIGNAL,
// SIGTERM by default), up to `timeoutSeconds` for it to exit, then SIGKILL. "Exited" means the
// monitor has recorded the exit (or knows it never will), so a caller that asks for the exit
// status right after stop() finds it. Stopping a stopped container succeeds.
import { DeadlineExceededError, type BerthError } from '../../common/errors.js';
import { pollUntil } from './poll-until.js';

export interface StopPorts {
  kill(id: string, signal: string): Promise<void>;
  /** Whether the container has exited and its exit is recorded. */
  exited(id: string): Promise<boolean>;
}

export interface StopOptions {
  timeoutSeconds: number;
  /** Default SIGTERM. */
  signal?: string;
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

async function send(ports: StopPorts, id: string, signal: string): Promise<void> {
  try {
    await ports.kill(id, signal);
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}

export async function stopContainer(ports: StopPorts, id: string, options: StopOptions): Promise<StopOutcome> {
  if (await ports.exited(id)) return 'already-exited';
  const interval = options.pollIntervalMs ?? 25;
  const signal = options.signal ?? 'SIGTERM';
  if (options.timeoutSeconds > 0 && signal.toUpperCase().replace(/^SIG/, '') !== 'KILL') {
    await send(ports, id, signal);
    const exited = await pollUntil(() => ports.exited(id), { timeoutMs: options.timeoutSeconds * 1000, intervalMs: interval });
    if (exited) return 'exited-after-signal';
  }
  await send(ports, id, 'SIGKILL');
  const killWaitMs = options.killWaitMs ?? 30_000;
  if (!(await pollUntil(() => ports.exited(id), { timeoutMs: killWaitMs, intervalMs: interval }))) {
    throw new DeadlineExceededError(`container ${id} did not exit within ${killWaitMs} ms of SIGKILL; check its monitor (conmon) and the runtime's state`);
  }
  return 'killed';
}
