// One wrapper around every CRI RPC (containerd's instrumented service): a debug line at the
// start and end with the request's ids, the duration, and the single error → gRPC code mapping.
// Handlers are plain async functions from request to response; each also gets the call's
// AbortSignal (made here, once): it aborts when the client cancels or its deadline passes, and
// the handler passes it on to the runtime, down to every program a step runs (common/abort.ts).
import type { Deadline, handleClientStreamingCall, handleServerStreamingCall, handleUnaryCall, ServerReadableStream, ServerWritableStream } from '@grpc/grpc-js';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { CancelledError, DeadlineExceededError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { grpcCodeOf, toServiceError } from '../errors.js';

export type UnaryHandler<Request, Response> = (request: Request, signal: AbortSignal) => Promise<Response>;
/**
 * `send` answers false while the client is not reading (gRPC's write buffer is over its mark);
 * `drained` resolves once it reads again (a handler streaming bulk data awaits it).
 */
export type StreamHandler<Request, Response> = (request: Request, send: (response: Response) => boolean, signal: AbortSignal, drained?: () => Promise<void>) => Promise<void>;
/** A client-streaming RPC (berth.v1.Images Load and Import): the messages as they arrive. */
export type ClientStreamHandler<Request, Response> = (requests: AsyncIterable<Request>, signal: AbortSignal) => Promise<Response>;

/** Observes each finished call; the metrics issue plugs its histogram in here. */
export type CallObserver = (method: string, code: GrpcStatus, seconds: number) => void;

const idFields = ['podSandboxId', 'containerId', 'execId'] as const;

/** The ids a request carries, as log fields (never the whole request: it may hold secrets). */
function idsOf(request: unknown): Record<string, unknown> {
  const ids: Record<string, unknown> = {};
  if (request && typeof request === 'object') {
    for (const field of idFields) {
      const value = (request as Record<string, unknown>)[field];
      if (typeof value === 'string' && value) ids[field] = value;
    }
    // The CRI's ImageSpec ({image}), or berth.v1.Images' plain string.
    const spec = (request as { image?: unknown }).image;
    const image = typeof spec === 'string' ? spec : (spec as { image?: unknown } | null | undefined)?.image;
    if (typeof image === 'string' && image) ids['image'] = image;
  }
  return ids;
}

export interface InstrumentOptions {
  logger: Logger;
  observe?: CallObserver;
  /** Aborted when the server closes: open streams end so the shutdown need not wait for them. */
  closing?: AbortSignal;
}

/** The longest delay a timer takes (2^31 - 1 ms, about 24 days); a deadline further out is none. */
const maxTimerMs = 2 ** 31 - 1;

/** Milliseconds from now until a gRPC deadline; undefined for none (Infinity, not set, or weeks away). */
export function millisUntil(deadline: Deadline, now = Date.now()): number | undefined {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at) || at - now > maxTimerMs) return undefined;
  return Math.max(0, at - now);
}

/**
 * The call's cancellation and deadline as one AbortSignal: its reason is a CancelledError when
 * the client went away, a DeadlineExceededError when the deadline passed. `release` stops the
 * deadline timer once the call is answered.
 */
/** What the wrapper needs of a grpc-js server call. */
export interface CancellableCall {
  on(event: 'cancelled', listener: () => void): unknown;
  getDeadline(): Deadline;
}

export function callSignal(call: CancellableCall, method: string, closing?: AbortSignal): { signal: AbortSignal; release: () => void } {
  const abort = new AbortController();
  const waitMs = millisUntil(call.getDeadline());
  const passed = (): DeadlineExceededError => new DeadlineExceededError(`the client's deadline for ${method} passed (${waitMs} ms)`);
  const timer = waitMs === undefined ? undefined : setTimeout(() => abort.abort(passed()), waitMs);
  const deadlineAt = waitMs === undefined ? Infinity : Date.now() + waitMs;
  // grpc-js emits 'cancelled' when the stream closes, also after an answered call: past
  // release() there is nothing left to stop, and building an error (a stack capture) for every
  // call showed up in the profile of CRI reads at 110 pods.
  let released = false;
  // grpc-js also cancels a call whose deadline passed: that is still the deadline, not the client leaving.
  call.on('cancelled', () => {
    if (!released) abort.abort(Date.now() >= deadlineAt ? passed() : new CancelledError(`the client cancelled ${method}`));
  });
  const onClosing = (): void => abort.abort(new CancelledError(`berth is shutting down; ${method} was stopped`));
  if (closing?.aborted) onClosing();
  closing?.addEventListener('abort', onClosing, { once: true, signal: abort.signal });
  return {
    signal: abort.signal,
    release: () => {
      released = true;
      clearTimeout(timer);
      closing?.removeEventListener('abort', onClosing);
    },
  };
}

export function instrumentUnary<Request, Response>(method: string, handler: UnaryHandler<Request, Response>, options: InstrumentOptions): handleUnaryCall<Request, Response> {
  return (call, callback) => {
    const started = process.hrtime.bigint();
    const fields = { method, ...idsOf(call.request) };
    options.logger.debug(fields, 'cri call');
    const { signal, release } = callSignal(call, method);
    handler(call.request, signal)
      .finally(release)
      .then(...settle(method, started, fields, options, callback));
  };
}

/** The success and failure ends of a call that answers once: metric, log line, callback. */
function settle<Response>(
  method: string,
  started: bigint,
  fields: Record<string, unknown>,
  options: InstrumentOptions,
  callback: (error: Partial<ServiceError> | null, response?: Response) => void,
): [(response: Response) => void, (error: unknown) => void] {
  const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  return [
    (response) => {
      options.observe?.(method, GrpcStatus.OK, seconds());
      options.logger.debug({ ...fields, seconds: seconds() }, 'cri call done');
      callback(null, response);
    },
    (error) => {
      const code = grpcCodeOf(error);
      options.observe?.(method, code, seconds());
      const level = code === GrpcStatus.UNKNOWN || code === GrpcStatus.INTERNAL ? 'error' : 'info';
      options.logger[level]({ ...fields, seconds: seconds(), code: GrpcStatus[code], err: error }, 'cri call failed');
      callback(toServiceError(error));
    },
  ];
}

export function instrumentServerStream<Request, Response>(method: string, handler: StreamHandler<Request, Response>, options: InstrumentOptions): handleServerStreamingCall<Request, Response> {
  return (call: ServerWritableStream<Request, Response>) => {
    const started = process.hrtime.bigint();
    const fields = { method, ...idsOf(call.request) };
    const { signal, release } = callSignal(call, method, options.closing);
    options.logger.debug(fields, 'cri stream');
    const drained = (): Promise<void> =>
      new Promise((resolve) => {
        const done = (): void => {
          call.off('drain', done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        call.on('drain', done);
        signal.addEventListener('abort', done, { once: true });
      });
    handler(call.request, (response) => call.write(response), signal, drained).then(
      () => {
        release();
        options.observe?.(method, GrpcStatus.OK, Number(process.hrtime.bigint() - started) / 1e9);
        call.end();
      },
      (error: unknown) => {
        release();
        const code = grpcCodeOf(error);
        options.observe?.(method, code, Number(process.hrtime.bigint() - started) / 1e9);
        options.logger.info({ ...fields, code: GrpcStatus[code], err: error }, 'cri stream failed');
        // grpc-js sends a stream's error status on its 'error' event; destroy() would end the
        // stream without any status and leave the client waiting.
        call.emit('error', toServiceError(error));
      },
    );
  };
}

export function instrumentClientStream<Request, Response>(method: string, handler: ClientStreamHandler<Request, Response>, options: InstrumentOptions): handleClientStreamingCall<Request, Response> {
  return (call: ServerReadableStream<Request, Response>, callback) => {
    const started = process.hrtime.bigint();
    const fields = { method };
    const { signal, release } = callSignal(call, method, options.closing);
    // A cancelled call's message stream never ends by itself: end the handler's reading.
    call.on('cancelled', () => call.destroy(new Error(`${method} cancelled by the client`)));
    options.logger.debug(fields, 'cri call');
    handler(call as AsyncIterable<Request>, signal)
      .finally(release)
      .then(...settle(method, started, fields, options, callback));
  };
}
