import { describe, expect, it } from 'vitest';
import { exitCodeForSignal, signalNumber } from '../../../runtime/oci/signals.js';

describe('signalNumber', () => {
  it.each([
    ['SIGTERM', 15],
    ['TERM', 15],
    ['sigkill', 9],
    ['SIGQUIT', 3],
    ['15', 15],
    [9, 9],
    [' SIGUSR1 ', 10],
  ] as const)('reads %j as %i', (written, number) => {
    expect(signalNumber(written)).toBe(number);
  });

  it.each([
    ['an unknown name', 'SIGFOO'],
    ['zero', '0'],
    ['a negative number', '-9'],
    ['a number above SIGRTMAX', '65'],
    ['a second argument smuggled in', '9 --all'],
    ['an option', '--help'],
    ['an empty string', ''],
    ['an object property name', 'constructor'],
    ['a fraction', 1.5],
  ] as const)('refuses %s', (_name, written) => {
    expect(() => signalNumber(written)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('gives 137 as the exit code of SIGKILL', () => {
    expect(exitCodeForSignal('SIGKILL')).toBe(137);
  });
});
