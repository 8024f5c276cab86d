// berth's typed errors. Every layer throws these (or wraps a cause in them); the CRI server maps
// the closed set of codes to gRPC status codes in exactly one place (cri/errors.ts). A message
// says what failed, on which id or path, and what a person can do about it.

export type ErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_ARGUMENT'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'RESOURCE_EXHAUSTED'
  | 'DEADLINE_EXCEEDED'
  | 'CANCELLED'
  | 'UNAVAILABLE'
  | 'UNIMPLEMENTED'
  | 'PERMISSION_DENIED'
  | 'INTERNAL';

export class BerthError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class NotFoundError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options);
  }
}

export class InvalidArgumentError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
  }
}

export class AlreadyExistsError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ALREADY_EXISTS', message, options);
  }
}

export class FailedPreconditionError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FAILED_PRECONDITION', message, options);
  }
}

export class ResourceExhaustedError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RESOURCE_EXHAUSTED', message, options);
  }
}

export class DeadlineExceededError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DEADLINE_EXCEEDED', message, options);
  }
}

/** The caller gave up (a cancelled gRPC call, a deleted pod): the work was stopped, not failed. */
export class CancelledError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CANCELLED', message, options);
  }
}

export class UnavailableError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

export class UnimplementedError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNIMPLEMENTED', message, options);
  }
}

export class PermissionDeniedError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PERMISSION_DENIED', message, options);
  }
}

export class InternalError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INTERNAL', message, options);
  }
}

/** The message of anything thrown, for wrapping with context. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
