import { describe, expect, it } from 'vitest';
import { parseCniError, pluginFailure } from '../../../cni/plugin-error.js';

const base = { pluginType: 'bridge', command: 'ADD' as const, containerId: 'abc', stderr: '' };

describe('mapping a plugin failure', () => {
  it.each([
    ['incompatible version (1)', 1, 'FAILED_PRECONDITION'],
    ['invalid network config (7)', 7, 'FAILED_PRECONDITION'],
    ['decode failure (6)', 6, 'FAILED_PRECONDITION'],
    ['try again later (11)', 11, 'UNAVAILABLE'],
    ['I/O failure (5)', 5, 'INTERNAL'],
    ['a plugin-specific code (100)', 100, 'INTERNAL'],
  ])('maps %s to %s', (_name, code, expected) => {
    const error = pluginFailure({ ...base, stdout: JSON.stringify({ cniVersion: '1.0.0', code, msg: 'boom' }) });
    expect(error.code).toBe(expected);
  });

  it('names plugin, command, sandbox, message, details and code', () => {
    const stdout = JSON.stringify({ cniVersion: '1.0.0', code: 7, msg: 'failed to parse', details: 'missing subnet' });
    expect(pluginFailure({ ...base, stdout }).message).toBe('CNI plugin "bridge" ADD for sandbox abc failed: failed to parse (missing subnet) [CNI error code 7]; check the CNI config');
  });

  it('reads the error JSON from stderr when stdout has none', () => {
    const error = pluginFailure({ ...base, stdout: '', stderr: '{"code": 11, "msg": "busy"}' });
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toContain('busy');
  });

  it('falls back to the raw output when the plugin printed no JSON', () => {
    const error = pluginFailure({ ...base, stdout: '', stderr: 'panic: runtime error\n', exitCode: 2 });
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe('CNI plugin "bridge" ADD for sandbox abc failed: panic: runtime error');
  });

  it('falls back to the exit code when the plugin printed nothing', () => {
    expect(pluginFailure({ ...base, stdout: '', exitCode: 3 }).message).toContain('exit code 3');
  });

  it.each([
    ['not JSON', 'oops'],
    ['a JSON array', '[1]'],
    ['an object without code or msg', '{"x":1}'],
    ['truncated JSON', '{"code":'],
  ])('treats %s as no error JSON', (_name, text) => {
    expect(parseCniError(text)).toBeUndefined();
  });
});
