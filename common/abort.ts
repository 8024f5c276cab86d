// Cancellation as it travels through a request (CRI-O passes a context to every internal/oci
// method; berth passes an AbortSignal). The contract, the same at every layer:
// - An operation that can wait or run a program takes `{ signal }` (the `Abortable` field of its
//   options) and passes it on unchanged to what it calls; the program adapters at the bottom kill
//   their child when it aborts (child-process.ts).
// - The signal's reason says why: a DeadlineExceededError (the caller's deadline passed) or a
//   CancelledError (the caller went away). abortedError() turns any reason into one of those, so
//   the CRI answers DEADLINE_EXCEEDED or CANCELLED whichever step noticed first.
// - Undoing a half-done step never runs under the request's signal (it is already aborted when
//   the undo matters most): each undo gets cleanupSignal(), bounded on its own.
import { BerthError, CancelledError, DeadlineExceededError } from './errors.js';

/** The one field an operation's options carry for cancellation. */
export interface Abortable {
  signal?: AbortSignal | undefined;
}

/** How long one undo step of a failed or cancelled create may take. */
export const cleanupTimeoutMs = 60_000;

/** A signal for cleanup after a failure or an abort: independent of the request, with its own bound. */
export function cleanupSignal(timeoutMs = cleanupTimeoutMs): AbortSignal {
  return AbortSignal.timeout(timeoutMs);
}

/** The typed error for `what` having been stopped by `signal`. */
export function abortedError(signal: AbortSignal, what: string): BerthError {
  const reason: unknown = signal.reason;
  if (reason instanceof DeadlineExceededError) return new DeadlineExceededError(`${what}: ${reason.message}`, { cause: reason });
  if (reason instanceof BerthError) return new CancelledError(`${what}: ${reason.message}`, { cause: reason });
  if (reason instanceof Error && reason.name === 'TimeoutError') return new DeadlineExceededError(`${what}: its time ran out`, { cause: reason });
  return new CancelledError(`${what}: cancelled by the caller`, { cause: reason });
}

/** Throws the typed error when `signal` has aborted: call it between steps. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortedError(signal, what);
}

/** `signal` and a timeout of `timeoutMs` together; either aborts the result. */
export function withTimeout(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/** `promise`, or the typed error as soon as `signal` aborts (the work behind `promise` goes on). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortedError(signal, what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
