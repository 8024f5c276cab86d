import { describe, expect, it } from 'vitest';
import { accessAttributes } from '../../../kubelet/server/authn.js';
import { parseCriLog, parseLogOptions, rfc3339Nano, selectLines } from '../../../kubelet/server/container-logs.js';

describe('kubelet API authorization attributes', () => {
  it('maps paths to the node subresources upstream checks', () => {
    expect(accessAttributes('GET', '/stats/summary', 'n1')).toEqual({ verb: 'get', resource: 'nodes', subresource: 'stats', name: 'n1' });
    expect(accessAttributes('GET', '/metrics/cadvisor', 'n1').subresource).toBe('metrics');
    expect(accessAttributes('GET', '/logs/syslog', 'n1').subresource).toBe('log');
    expect(accessAttributes('GET', '/containerLogs/ns/pod/c', 'n1').subresource).toBe('proxy');
    expect(accessAttributes('POST', '/exec/ns/pod/c', 'n1')).toMatchObject({ verb: 'create', subresource: 'proxy' });
  });
});

describe('container log options', () => {
  const now = Date.parse('2026-12-04T12:00:00Z');
  it('reads the kubectl logs query', () => {
    expect(parseLogOptions(new URLSearchParams('follow=true&tailLines=5&timestamps=1&limitBytes=100'), now)).toEqual({
      follow: true, previous: false, timestamps: true, tailLines: 5, limitBytes: 100, sinceMs: undefined,
    });
    expect(parseLogOptions(new URLSearchParams('sinceSeconds=60'), now).sinceMs).toBe(now - 60_000);
    expect(parseLogOptions(new URLSearchParams('sinceTime=2026-12-04T11:00:00Z'), now).sinceMs).toBe(now - 3600_000);
  });
  it('refuses what it cannot mean', () => {
    expect(() => parseLogOptions(new URLSearchParams('tailLines=-1'), now)).toThrow(/non-negative integer/);
    expect(() => parseLogOptions(new URLSearchParams('follow=maybe'), now)).toThrow(/not a boolean/);
    expect(() => parseLogOptions(new URLSearchParams('sinceSeconds=1&sinceTime=2026-12-04T11:00:00Z'), now)).toThrow(/at most one/);
    expect(() => parseLogOptions(new URLSearchParams('sinceTime=yesterday'), now)).toThrow(/RFC 3339/);
    expect(() => parseLogOptions(new URLSearchParams('limitBytes=0'), now)).toThrow(/positive/);
  });
});

describe('CRI log files', () => {
  const file = [
    '2026-12-04T11:00:00.000000000Z stdout F first',
    '2026-12-04T11:30:00.000000000Z stdout P par',
    '2026-12-04T11:30:00.100000000Z stdout F tial line',
    '2026-12-04T11:59:00.000000000Z stderr F last words',
    '2026-12-04T11:59:30.000000000Z stdout F not yet ended',
  ].join('\n');
  it('joins partial lines and keeps an unfinished last line back', () => {
    const { lines, rest } = parseCriLog(file);
    expect(lines.map((l) => l.text)).toEqual(['first', 'partial line', 'last words']);
    expect(rest).toBe('2026-12-04T11:59:30.000000000Z stdout F not yet ended');
  });
  it('prints times the way upstream does: UTC with Z, no trailing zeros', () => {
    expect(rfc3339Nano('2026-12-04T15:54:02.157141710+00:00')).toBe('2026-12-04T15:54:02.15714171Z');
    expect(rfc3339Nano('2026-12-04T15:54:02.000000000Z')).toBe('2026-12-04T15:54:02Z');
    expect(rfc3339Nano('2026-12-04T17:54:02.500+02:00')).toBe('2026-12-04T15:54:02.5Z');
  });

  it('applies since and tail', () => {
    const { lines } = parseCriLog(`${file}\n`);
    const options = { follow: false, previous: false, timestamps: false, limitBytes: undefined };
    expect(selectLines(lines, { ...options, tailLines: 2, sinceMs: undefined }).map((l) => l.text)).toEqual(['last words', 'not yet ended']);
    expect(selectLines(lines, { ...options, tailLines: undefined, sinceMs: Date.parse('2026-12-04T11:45:00Z') }).map((l) => l.text)).toEqual(['last words', 'not yet ended']);
    expect(selectLines(lines, { ...options, tailLines: 0, sinceMs: undefined })).toEqual([]);
  });
});
