import { EventEmitter } from 'node:events';
import { status as GrpcStatus, type Deadline, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it, vi } from 'vitest';
import { abortedError } from '../../../common/abort.js';
import { CancelledError, DeadlineExceededError } from '../../../common/errors.js';
import { silentLogger } from '../../../common/logger.js';
import { callSignal, instrumentUnary, millisUntil } from '../../../cri/server/instrument.js';

/** A grpc-js server call as far as the wrapper sees it: a request, a deadline, a 'cancelled' event. */
function fakeCall(deadline: Deadline, request: object = {}): EventEmitter & { request: object; getDeadline: () => Deadline } {
  return Object.assign(new EventEmitter(), { request, getDeadline: () => deadline });
}

describe('the call signal', () => {
  it('aborts with Cancelled when the client cancels the call', () => {
    const call = fakeCall(Infinity);
    const { signal, release } = callSignal(call, 'RunPodSandbox');
    expect(signal.aborted).toBe(false);
    call.emit('cancelled');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(CancelledError);
    release();
  });

  it("aborts with DeadlineExceeded when the call's deadline passes", async () => {
    const { signal, release } = callSignal(fakeCall(Date.now() + 30), 'RunPodSandbox');
    expect(signal.aborted).toBe(false);
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
    expect(signal.reason).toBeInstanceOf(DeadlineExceededError);
    expect(abortedError(signal, 'CNI plugin bridge ADD')).toBeInstanceOf(DeadlineExceededError);
    release();
  });

  it('says DeadlineExceeded when grpc-js cancels a call because its deadline passed', () => {
    // grpc-js's own deadline cancel can come before our timer fires: the clock is past the
    // deadline, the timer has not run.
    vi.useFakeTimers();
    try {
      const call = fakeCall(Date.now() + 10);
      const { signal, release } = callSignal(call, 'CreateContainer');
      vi.setSystemTime(Date.now() + 20);
      call.emit('cancelled');
      expect(signal.reason).toBeInstanceOf(DeadlineExceededError);
      release();
    } finally {
      vi.useRealTimers();
    }
  });

  it("ignores the cancel grpc-js reports when an answered call's stream closes", () => {
    const call = fakeCall(Infinity);
    const { signal, release } = callSignal(call, 'ContainerStatus');
    release();
    call.emit('cancelled');
    expect(signal.aborted).toBe(false);
  });

  it('never aborts a call without a deadline, and stops its timer once answered', async () => {
    const { signal, release } = callSignal(fakeCall(Date.now() + 20), 'Version');
    release();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(signal.aborted).toBe(false);
    expect(millisUntil(Infinity)).toBeUndefined();
    expect(millisUntil(new Date(5_000), 1_000)).toBe(4_000);
    expect(millisUntil(500, 1_000)).toBe(0);
    // Further out than a timer reaches: no deadline, rather than a timer that fires at once.
    expect(millisUntil(1_000 + 2 ** 32, 1_000)).toBeUndefined();
  });
});

describe('the unary wrapper', () => {
  function invoke(call: ReturnType<typeof fakeCall>, handler: (request: object, signal: AbortSignal) => Promise<object>): Promise<{ error: Partial<ServiceError> | null; response: unknown }> {
    const wrapped = instrumentUnary('RunPodSandbox', handler, { logger: silentLogger() });
    return new Promise((resolve) => {
      wrapped(call as unknown as ServerUnaryCall<object, object>, (error, response) => resolve({ error: error as Partial<ServiceError> | null, response }));
    });
  }

  it('hands the handler a signal that the deadline aborts, and answers DEADLINE_EXCEEDED', async () => {
    const call = fakeCall(Date.now() + 30);
    const answer = await invoke(
      call,
      (_request, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(abortedError(signal, 'CNI plugin bridge ADD was killed')))),
    );
    expect(answer.error?.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    expect(answer.error?.details).toMatch(/CNI plugin bridge ADD was killed: the client's deadline for RunPodSandbox passed/);
  });

  it('hands the handler a signal that a cancelled call aborts, and answers CANCELLED', async () => {
    const call = fakeCall(Infinity);
    const answered = invoke(call, (_request, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(abortedError(signal, 'runc start')))));
    call.emit('cancelled');
    expect((await answered).error?.code).toBe(GrpcStatus.CANCELLED);
  });

  it('answers as before when the handler finishes in time', async () => {
    const answer = await invoke(fakeCall(Date.now() + 60_000, { podSandboxId: 'abc' }), async (_request, signal) => ({ aborted: signal.aborted }));
    expect(answer).toEqual({ error: null, response: { aborted: false } });
  });
});
