import { describe, expect, it } from 'vitest';
import { parseNetDev } from '../../../runtime/linux/net-dev.js';

describe('/proc/net/dev', () => {
  it('reads bytes and errors per interface and skips what does not parse', () => {
    const text = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:     120       2    0    0    0     0          0         0      120       2    0    0    0     0       0          0',
      '  eth0:    5280      40    1    0    0     0          0         0     3360      30    2    0    0     0       0          0',
      'garbage line',
    ].join('\n');
    expect(parseNetDev(text)).toEqual([
      { name: 'lo', rxBytes: 120, rxErrors: 0, txBytes: 120, txErrors: 0 },
      { name: 'eth0', rxBytes: 5280, rxErrors: 1, txBytes: 3360, txErrors: 2 },
    ]);
  });
});
