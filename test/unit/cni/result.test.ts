import { describe, expect, it } from 'vitest';
import { parseCniResult, podAddresses } from '../../../cni/result.js';

describe('reading a CNI result', () => {
  it('keeps the addresses on sandbox interfaces, split by family, without prefix', () => {
    const result = parseCniResult(
      JSON.stringify({
        cniVersion: '1.0.0',
        interfaces: [{ name: 'berth0' }, { name: 'veth1' }, { name: 'eth0', sandbox: '/run/ns/net' }],
        ips: [
          { address: '10.85.0.1/16', interface: 0 },
          { address: '10.85.0.7/16', gateway: '10.85.0.1', interface: 2 },
          { address: 'fd00::7/64', interface: 2 },
        ],
      }),
      'bridge',
    );
    expect(podAddresses(result)).toEqual({ v4: ['10.85.0.7'], v6: ['fd00::7'] });
  });

  it('keeps every address when the plugin gave no interface index', () => {
    expect(podAddresses({ cniVersion: '0.3.1', ips: [{ address: '10.1.0.2/24' }] })).toEqual({ v4: ['10.1.0.2'], v6: [] });
  });

  it.each([
    ['no JSON', 'oops', /printed no JSON/],
    ['an array', '[]', /not a result object/],
    ['no cniVersion', '{}', /no cniVersion/],
    ['an address that is not an IP', '{"cniVersion":"1.0.0","ips":[{"address":"x/24"}]}', /malformed "ips"/],
    ['interfaces without names', '{"cniVersion":"1.0.0","interfaces":[{}]}', /malformed "interfaces"/],
  ])('refuses %s', (_name, text, expected) => {
    expect(() => parseCniResult(text, 'bridge')).toThrow(expected);
  });
});
