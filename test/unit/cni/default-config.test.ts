import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseNetworkConfig } from '../../../cni/config.js';
import { defaultNetworkConfig, ensureDefaultNetworkConfig } from '../../../cni/default-config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cni-default-'));
  dirs.push(dir);
  return dir;
}

describe('the default network', () => {
  it('is a bridge with host-local IPAM on berth subnet followed by portmap', () => {
    const list = defaultNetworkConfig({ ipamDataDir: '/var/lib/berth/cni/ipam' });
    expect(list.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
    expect(list.plugins[0]).toMatchObject({
      bridge: 'berth0',
      isGateway: true,
      ipMasq: true,
      hairpinMode: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.85.0.0/16' }]], dataDir: '/var/lib/berth/cni/ipam' },
    });
    expect(list.plugins[1]).toMatchObject({ capabilities: { portMappings: true }, snat: true });
  });

  it('passes its own validation', () => {
    const list = defaultNetworkConfig({ ipamDataDir: '/d', subnet: '10.244.7.0/24', bridge: 'berthtest1' });
    expect(parseNetworkConfig(JSON.stringify(list), 'x.conflist')).toEqual(list);
  });

  it.each([
    ['a subnet without prefix', { subnet: '10.85.0.0' }, /not an IPv4 CIDR/],
    ['a subnet with a bad octet', { subnet: '10.300.0.0/16' }, /not an IPv4 CIDR/],
    ['a prefix over 32', { subnet: '10.0.0.0/33' }, /not an IPv4 CIDR/],
    ['a bridge name over 15 characters', { bridge: 'abcdefghijklmnop' }, /1-15 characters/],
    ['a bridge name with a slash', { bridge: 'a/b' }, /1-15 characters/],
  ])('refuses %s', (_name, options, expected) => {
    expect(() => defaultNetworkConfig({ ipamDataDir: '/d', ...options })).toThrow(expected);
  });

  it('is written into a conf dir without config', async () => {
    const dir = join(tempDir(), 'net.d');
    const written = await ensureDefaultNetworkConfig(dir, { ipamDataDir: '/d' });
    expect(written).toBe(join(dir, '10-berth.conflist'));
    expect(JSON.parse(readFileSync(join(dir, '10-berth.conflist'), 'utf8'))).toMatchObject({ name: 'berth', cniVersion: '1.0.0' });
  });

  it('is not written when the conf dir already has a config', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '99-mine.conf'), '{}');
    expect(await ensureDefaultNetworkConfig(dir, { ipamDataDir: '/d' })).toBeUndefined();
    expect(readdirSync(dir)).toEqual(['99-mine.conf']);
  });
});
