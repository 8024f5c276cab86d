import { describe, expect, it } from 'vitest';
import { parsePidsLimit } from '../../../cli/runtime-options.js';

describe('--pids-limit', () => {
  it('is no limit by default, for 0 and for -1', () => {
    expect(parsePidsLimit()).toBeUndefined();
    expect(parsePidsLimit('0')).toBeUndefined();
    expect(parsePidsLimit('-1')).toBeUndefined();
  });

  it('is the number of processes each container may hold', () => {
    expect(parsePidsLimit('1024')).toBe(1024);
  });

  it.each(['', 'many', '1.5', '-2', '1e3', '99999999999999999999'])('refuses %j', (text) => {
    expect(() => parsePidsLimit(text)).toThrow(/--pids-limit/);
  });
});
