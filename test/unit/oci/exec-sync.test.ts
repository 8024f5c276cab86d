import { describe, expect, it } from 'vitest';
import type { MonitorPort } from '../../../runtime/containers/container-ports.js';
import { CappedBuffer } from '../../../runtime/oci/capped-buffer.js';
import type { ContainerMonitor } from '../../../runtime/oci/container-monitor.js';
import { execProcessSpec } from '../../../runtime/oci/exec-sync.js';

describe('execProcessSpec', () => {
  const base = { terminal: true, args: ['sleep', '1000'], env: ['PATH=/bin'], cwd: '/work', user: { uid: 1000, gid: 1000 }, consoleSize: { height: 1, width: 1 } };

  it('keeps the container process settings and replaces the command', () => {
    expect(execProcessSpec(base, ['ls', '-l'])).toEqual({ terminal: false, args: ['ls', '-l'], env: ['PATH=/bin'], cwd: '/work', user: { uid: 1000, gid: 1000 } });
  });

  it.each([[[]], [['']]])('refuses the empty command %j', (command) => {
    expect(() => execProcessSpec(base, command)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('CappedBuffer', () => {
  it('keeps everything up to the limit', () => {
    const buffer = new CappedBuffer(6);
    buffer.push(Buffer.from('abc'));
    buffer.push(Buffer.from('def'));
    expect(buffer.bytes().toString()).toBe('abcdef');
    expect(buffer.truncated).toBe(false);
  });

  it('cuts the chunk that crosses the limit and drops the rest', () => {
    const buffer = new CappedBuffer(4);
    buffer.push(Buffer.from('abc'));
    buffer.push(Buffer.from('def'));
    buffer.push(Buffer.from('gh'));
    expect(buffer.bytes().toString()).toBe('abcd');
    expect(buffer.truncated).toBe(true);
    expect(buffer.droppedBytes).toBe(4);
  });
});

describe('ContainerMonitor', () => {
  it('fits the container manager monitor port', () => {
    // Compile-time: assignment fails typechecking if the port and the monitor drift apart.
    const fits = (monitor: ContainerMonitor): MonitorPort => monitor;
    expect(typeof fits).toBe('function');
  });
});
