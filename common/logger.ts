// The structured logger (pino) every layer receives from its caller: ids go in fields
// (podSandboxId, containerId, image), never only in the message.
import { pino, type Logger } from 'pino';

export type { Logger };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

export function createLogger(level: LogLevel = 'info', name = 'berth'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}

/** A logger that drops everything, for unit tests and library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
