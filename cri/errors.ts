// The one place where berth's errors become gRPC status codes. Handlers never pick a code: they
// throw typed errors (common/errors.ts) and the instrumented wrapper maps them here.
import { status as GrpcStatus, type ServiceError, Metadata } from '@grpc/grpc-js';
import { BerthError, type ErrorCode } from '../common/errors.js';

const codes: Record<ErrorCode, GrpcStatus> = {
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: GrpcStatus.RESOURCE_EXHAUSTED,
  DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
  CANCELLED: GrpcStatus.CANCELLED,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  UNIMPLEMENTED: GrpcStatus.UNIMPLEMENTED,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  INTERNAL: GrpcStatus.INTERNAL,
};

export function grpcCodeOf(error: unknown): GrpcStatus {
  return error instanceof BerthError ? codes[error.code] : GrpcStatus.UNKNOWN;
}

/** The ServiceError grpc-js sends for a thrown error: its code and its message, nothing else. */
export function toServiceError(error: unknown): Partial<ServiceError> {
  const message = error instanceof Error ? error.message : String(error);
  return { code: grpcCodeOf(error), details: message, message, metadata: new Metadata() };
}
