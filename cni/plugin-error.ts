// A failed plugin run, as a BerthError. Plugins report failure as JSON on stdout
// ({cniVersion, code, msg, details}; CNI spec "Error"); codes 1-99 are the spec's, 100+ the
// plugin's own. The code decides who can act on it: a bad config is the node's problem
// (FailedPrecondition), "try again later" is transient (Unavailable), the rest is Internal.
import { type BerthError, FailedPreconditionError, InternalError, UnavailableError } from '../common/errors.js';
import type { CniCommand } from './invocation.js';

export interface CniErrorBody {
  code?: number;
  msg?: string;
  details?: string;
}

/** Reads the error JSON from a plugin's output; undefined when it wrote something else. */
export function parseCniError(output: string): CniErrorBody | undefined {
  const text = output.trim();
  if (!text.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { code, msg, details } = parsed as Record<string, unknown>;
  if (typeof code !== 'number' && typeof msg !== 'string') return undefined;
  const body: CniErrorBody = {};
  if (typeof code === 'number') body.code = code;
  if (typeof msg === 'string') body.msg = msg;
  if (typeof details === 'string' && details !== '') body.details = details;
  return body;
}

const configCodes = new Set([1, 2, 4, 6, 7]);

export function pluginFailure(options: { pluginType: string; command: CniCommand; containerId?: string; stdout: string; stderr: string; exitCode?: number }): BerthError {
  const body = parseCniError(options.stdout) ?? parseCniError(options.stderr);
  const target = options.containerId ? ` for sandbox ${options.containerId}` : '';
  const what = `CNI plugin "${options.pluginType}" ${options.command}${target} failed`;
  if (!body) {
    const said = options.stderr.trim() || options.stdout.trim() || `exit code ${options.exitCode ?? 'unknown'}`;
    return new InternalError(`${what}: ${said}`);
  }
  const message = `${what}: ${body.msg ?? 'no message'}${body.details ? ` (${body.details})` : ''} [CNI error code ${body.code ?? 'none'}]`;
  if (body.code === 11) return new UnavailableError(`${message}; retry later`);
  if (body.code !== undefined && configCodes.has(body.code)) return new FailedPreconditionError(`${message}; check the CNI config`);
  return new InternalError(message);
}
