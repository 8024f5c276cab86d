// Strict decimal parsing for the numbers that arrive as text: CRI int64 fields (decoded as
// strings) and uid/gid strings from images. Lenient parsers are how ids overflow to 0: Number()
// takes "0x10", "1e3" and " 7 ", and a 32-bit wrap turns 4294967296 into root.
import { InvalidArgumentError } from '../../../common/errors.js';

/** The largest valid uid/gid: (uid_t)-1 is reserved as "no id" by the kernel. */
export const maxUnixId = 4_294_967_294;

const unsignedDecimal = /^[0-9]+$/;
const signedDecimal = /^-?[0-9]+$/;

/** Whether `text` is written as an id (digits only); says nothing about its range. */
export function looksNumeric(text: string): boolean {
  return unsignedDecimal.test(text);
}

/** A uid or gid: decimal digits only, 0..4294967294. `what` names it in the error. */
export function parseUnixId(text: string, what: string): number {
  if (!unsignedDecimal.test(text)) {
    throw new InvalidArgumentError(`${what} "${text}" is not a decimal id: use digits only, 0 to ${maxUnixId}`);
  }
  const value = BigInt(text);
  if (value > BigInt(maxUnixId)) {
    throw new InvalidArgumentError(`${what} ${text} is out of range: ids go from 0 to ${maxUnixId}`);
  }
  return Number(value);
}

/**
 * A CRI int64 (proto-loader decodes int64 as a decimal string), as a JS number. Refuses what a
 * double cannot hold exactly, so a limit is never silently rounded.
 */
export function parseCriInt(text: string, what: string): number {
  if (text === '') return 0;
  if (!signedDecimal.test(text)) throw new InvalidArgumentError(`${what} "${text}" is not a decimal integer`);
  const value = BigInt(text);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new InvalidArgumentError(`${what} ${text} is too large: berth accepts up to ${Number.MAX_SAFE_INTEGER}`);
  }
  return Number(value);
}
