import { describe, expect, it } from 'vitest';
import { bytesSize, cpuPercent, formatPorts, formatPs, formatStats, publishedPort } from '../../../cli/containers/container-report.js';

describe('bytesSize (docker stats memory)', () => {
  it.each([
    [0, '0B'],
    [1023, '1023B'],
    [1536, '1.5KiB'],
    [1577058, '1.504MiB'],
    [8 * 1024 ** 3, '8GiB'],
  ])('prints %d bytes as %s', (bytes, text) => {
    expect(bytesSize(bytes)).toBe(text);
  });
});

describe('cpuPercent', () => {
  it('is CPU time over wall time between two samples, times 100', () => {
    expect(cpuPercent({ usageCoreNanos: 1_000_000_000n, timestampNanos: 10_000_000_000n }, { usageCoreNanos: 1_500_000_000n, timestampNanos: 11_000_000_000n })).toBe(50);
  });

  it('goes over 100 for a container busy on more than one core', () => {
    expect(cpuPercent({ usageCoreNanos: 0n, timestampNanos: 0n }, { usageCoreNanos: 2_000_000_000n, timestampNanos: 1_000_000_000n })).toBe(200);
  });

  it('is unknown without two samples, when time did not pass, or when the counter went back (a new container)', () => {
    expect(cpuPercent(undefined, { usageCoreNanos: 1n, timestampNanos: 1n })).toBeUndefined();
    expect(cpuPercent({ usageCoreNanos: 1n, timestampNanos: 5n }, { usageCoreNanos: 2n, timestampNanos: 5n })).toBeUndefined();
    expect(cpuPercent({ usageCoreNanos: 9n, timestampNanos: 1n }, { usageCoreNanos: 2n, timestampNanos: 5n })).toBeUndefined();
  });
});

describe('formatStats', () => {
  it("prints docker's columns, with -- for what the CRI does not report", () => {
    const text = formatStats([
      { id: 'a'.repeat(64), name: 'web', cpuPercent: 12.345, memoryBytes: 1024 * 1024, memoryLimitBytes: 512 * 1024 * 1024 },
      { id: 'b'.repeat(64), name: 'idle', memoryLimitBytes: 1024 },
    ]);
    expect(text.split('\n')).toEqual([
      'CONTAINER ID   NAME   CPU %    MEM USAGE / LIMIT   MEM %   NET I/O   BLOCK I/O   PIDS',
      'aaaaaaaaaaaa   web    12.35%   1MiB / 512MiB       0.20%   --        --          --',
      'bbbbbbbbbbbb   idle   --       -- / --             --      --        --          --',
      '',
    ]);
  });

  it('prints whole IDs with noTrunc', () => {
    expect(formatStats([{ id: 'c'.repeat(64), name: 'x', memoryLimitBytes: 1 }], { noTrunc: true })).toContain(`${'c'.repeat(64)}   x`);
  });
});

describe('formatPs', () => {
  it('aligns the header words as columns and keeps the command line whole', () => {
    const ps = 'UID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 12:00 ? 00:00:00 sleep 300\nroot 7 1 0 12:01 ? 00:00:00 sh -c echo  hi\n';
    expect(formatPs(ps).split('\n')).toEqual([
      'UID    PID   PPID   C   STIME   TTY   TIME       CMD',
      'root   1     0      0   12:00   ?     00:00:00   sleep 300',
      'root   7     1      0   12:01   ?     00:00:00   sh -c echo hi',
      '',
    ]);
  });

  it("keeps busybox ps's own columns", () => {
    expect(formatPs('PID   USER     TIME  COMMAND\n    1 root      0:00 sleep 300\n')).toBe('PID   USER   TIME   COMMAND\n1     root   0:00   sleep 300\n');
  });
});

describe('port', () => {
  const ports = [
    publishedPort({ protocol: 'TCP', containerPort: 80, hostPort: 8080 }),
    publishedPort({ protocol: 1, containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' }),
    publishedPort({ protocol: 'TCP', containerPort: 80, hostPort: 8081, hostIp: '::1' }),
  ];

  it('prints every mapping as docker port does', () => {
    expect(formatPorts(ports)).toBe('80/tcp -> 0.0.0.0:8080\n53/udp -> 127.0.0.1:5353\n80/tcp -> [::1]:8081\n');
  });

  it('prints only the host addresses of PRIVATE_PORT[/PROTO], tcp by default', () => {
    expect(formatPorts(ports, '80')).toBe('0.0.0.0:8080\n[::1]:8081\n');
    expect(formatPorts(ports, '53/udp')).toBe('127.0.0.1:5353\n');
  });

  it('says a port is not published with undefined', () => {
    expect(formatPorts(ports, '53')).toBeUndefined();
    expect(formatPorts([], '80/tcp')).toBeUndefined();
  });
});
