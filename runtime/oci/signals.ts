// Stop signals arrive as text from images (STOPSIGNAL "SIGQUIT", "QUIT", "3") and from CRI
// callers; they are checked here once and passed to the runtime as a number, so nothing a user
// wrote reaches a command line unchecked.
import { constants } from 'node:os';
import { InvalidArgumentError } from '../../common/errors.js';

const byName = constants.signals as Readonly<Record<string, number>>;
/** Linux SIGRTMAX: the highest signal number a process can be sent. */
const maxSignal = 64;

/** The signal number for "SIGTERM", "term", "15" or 15; InvalidArgument for anything else. */
export function signalNumber(signal: string | number): number {
  if (typeof signal === 'number') return checkedNumber(signal, String(signal));
  const text = signal.trim();
  if (/^\d+$/.test(text)) return checkedNumber(Number(text), signal);
  const upper = text.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const number = /^SIG[A-Z0-9]+$/.test(name) ? byName[name] : undefined;
  if (number === undefined) throw new InvalidArgumentError(`unknown signal ${JSON.stringify(signal)}: use a name like SIGTERM or a number 1-${maxSignal}`);
  return number;
}

function checkedNumber(number: number, written: string): number {
  if (!Number.isInteger(number) || number < 1 || number > maxSignal) {
    throw new InvalidArgumentError(`signal ${JSON.stringify(written)} is out of range: use a number 1-${maxSignal} or a name like SIGTERM`);
  }
  return number;
}

/** The exit code a process killed by `signal` reports (128 + n), as conmon and shells write it. */
export function exitCodeForSignal(signal: string | number): number {
  return 128 + signalNumber(signal);
}
