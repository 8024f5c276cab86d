import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  CancelledError,
  DeadlineExceededError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnavailableError,
  UnimplementedError,
} from '../../../common/errors.js';
import { grpcCodeOf, toServiceError } from '../../../cri/errors.js';

describe('berth errors → gRPC status codes', () => {
  it.each([
    [new NotFoundError('x'), GrpcStatus.NOT_FOUND],
    [new InvalidArgumentError('x'), GrpcStatus.INVALID_ARGUMENT],
    [new AlreadyExistsError('x'), GrpcStatus.ALREADY_EXISTS],
    [new FailedPreconditionError('x'), GrpcStatus.FAILED_PRECONDITION],
    [new ResourceExhaustedError('x'), GrpcStatus.RESOURCE_EXHAUSTED],
    [new DeadlineExceededError('x'), GrpcStatus.DEADLINE_EXCEEDED],
    [new CancelledError('x'), GrpcStatus.CANCELLED],
    [new UnavailableError('x'), GrpcStatus.UNAVAILABLE],
    [new UnimplementedError('x'), GrpcStatus.UNIMPLEMENTED],
    [new PermissionDeniedError('x'), GrpcStatus.PERMISSION_DENIED],
    [new InternalError('x'), GrpcStatus.INTERNAL],
  ])('%s is sent as code %i', (error, code) => {
    expect(grpcCodeOf(error)).toBe(code);
  });

  it('sends an error berth did not type (a bug, a library throw) as UNKNOWN, never as a guessed code', () => {
    expect(grpcCodeOf(new TypeError('cannot read properties of undefined'))).toBe(GrpcStatus.UNKNOWN);
    expect(grpcCodeOf('a thrown string')).toBe(GrpcStatus.UNKNOWN);
    expect(grpcCodeOf(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }))).toBe(GrpcStatus.UNKNOWN);
  });

  it('carries the message and nothing else: no stack, no cause', () => {
    const error = new NotFoundError('container "abc" not found', { cause: new Error('/var/lib/berth/secret path') });
    const sent = toServiceError(error);
    expect(sent).toMatchObject({ code: GrpcStatus.NOT_FOUND, details: 'container "abc" not found', message: 'container "abc" not found' });
    expect(JSON.stringify(sent)).not.toContain('secret path');
    expect(sent.metadata?.getMap()).toEqual({});
    expect(toServiceError('plain')).toMatchObject({ code: GrpcStatus.UNKNOWN, details: 'plain' });
  });
});
