// Turns what an OCI runtime (runc or crun) printed on failure into a BerthError that names the
// container and keeps the runtime's own words. Both runtimes are run with `--log-format json`,
// which makes their own messages JSON lines ({"level":"error","msg":...}); older or odd output
// (logfmt `msg="..."`, or plain text) is understood too, so nothing is ever lost from a message.
import { AlreadyExistsError, type BerthError, FailedPreconditionError, InternalError, InvalidArgumentError, NotFoundError } from '../../common/errors.js';

/** The runtime's error message(s) from its stderr, most specific last; '' when it said nothing. */
export function runtimeMessage(stderr: string): string {
  const messages: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    messages.push(messageOfLine(line));
  }
  // runc repeats the same error from several layers; say it once.
  return [...new Set(messages)].join('; ');
}

function messageOfLine(line: string): string {
  if (line.startsWith('{')) {
    try {
      const parsed = JSON.parse(line) as { msg?: unknown; level?: unknown };
      if (typeof parsed.msg === 'string') return parsed.msg;
    } catch {
      // not JSON after all: fall through to the text forms
    }
  }
  const logfmt = /(?:^|\s)msg="((?:[^"\\]|\\.)*)"/.exec(line);
  if (logfmt?.[1] !== undefined) return logfmt[1].replace(/\\(.)/g, '$1');
  return line;
}

type ErrorClass = new (message: string, options?: { cause?: unknown }) => BerthError;

// Ordered: the first pattern that matches the runtime's message picks the error class.
const classifications: ReadonlyArray<readonly [RegExp, ErrorClass]> = [
  [/container (`[^`]*` )?does not exist|no such container/i, NotFoundError],
  [/already exists|exists already|container with (given )?id exists/i, AlreadyExistsError],
  [/not running|not stopped|has stopped|already running|cannot (start|delete|pause|resume)|is paused|not paused|is not created/i, FailedPreconditionError],
  [/invalid signal|unknown signal|invalid argument|executable file not found|bad (config|spec)|parsing|unmarshal/i, InvalidArgumentError],
];

export interface RuntimeFailure {
  runtime: string;
  /** e.g. "start", "kill", "delete". */
  operation: string;
  containerId: string;
  stderr: string;
  exitCode: number | undefined;
}

/** The BerthError for a failed runtime command: class from the runtime's message, message with the id. */
export function runtimeError(failure: RuntimeFailure): BerthError {
  const said = runtimeMessage(failure.stderr);
  const what = `${failure.runtime} ${failure.operation} of container ${failure.containerId} failed`;
  const detail = said === '' ? `exit code ${failure.exitCode ?? 'unknown'} and no message` : said;
  const ErrorType = classifications.find(([pattern]) => pattern.test(said))?.[1] ?? InternalError;
  return new ErrorType(`${what}: ${detail}`);
}
