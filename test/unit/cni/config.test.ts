import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadNetworkConfig, parseNetworkConfig } from '../../../cni/config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function confDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cni-conf-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const list = (name: string) => ({ cniVersion: '1.0.0', name, plugins: [{ type: 'bridge' }, { type: 'portmap', capabilities: { portMappings: true } }] });

describe('loading the CNI network config', () => {
  it('picks the lexically first config file whatever its extension', async () => {
    const dir = confDir({ '20-b.conflist': list('b'), '10-a.conf': { cniVersion: '0.4.0', name: 'a', type: 'ptp' }, '05-c.json': { cniVersion: '1.0.0', name: 'c', type: 'bridge' } });
    const loaded = await loadNetworkConfig(dir);
    expect(loaded?.source).toBe(join(dir, '05-c.json'));
    expect(loaded?.list.name).toBe('c');
  });

  it('fails on a broken first file instead of falling back to the next one', async () => {
    const dir = confDir({ '05-broken.conflist': '{"name": "x",', '10-good.conflist': list('good') });
    await expect(loadNetworkConfig(dir)).rejects.toThrow(/05-broken\.conflist is not valid JSON/);
  });

  it('wraps a single-plugin .conf into a one-plugin list', async () => {
    const dir = confDir({ '10-a.conf': { cniVersion: '0.4.0', name: 'a', type: 'ptp', ipMasq: true, disableCheck: true }, '20-b.conflist': list('b') });
    const loaded = await loadNetworkConfig(dir);
    expect(loaded?.source).toBe(join(dir, '10-a.conf'));
    expect(loaded?.list).toEqual({ cniVersion: '0.4.0', name: 'a', disableCheck: true, plugins: [{ type: 'ptp', ipMasq: true }] });
  });

  it('loads a .conflist with its plugins in order', async () => {
    const dir = confDir({ '10-net.conflist': list('net'), '99-other.conf': { cniVersion: '1.0.0', name: 'o', type: 'ptp' } });
    const loaded = await loadNetworkConfig(dir);
    expect(loaded?.list.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
  });

  it('ignores files with other extensions and hidden temp files', async () => {
    const dir = confDir({ 'README.md': 'x', '00-x.conflist.bak': 'x', '.00-tmp.conflist': 'x', '50-net.conflist': list('net') });
    expect((await loadNetworkConfig(dir))?.list.name).toBe('net');
  });

  it('reports no config for an empty or missing directory', async () => {
    const dir = confDir({});
    expect(await loadNetworkConfig(dir)).toBeUndefined();
    expect(await loadNetworkConfig(join(dir, 'missing'))).toBeUndefined();
  });
});

describe('validating a CNI config', () => {
  it.each([
    ['invalid JSON', 'x.conflist', '{"name":', /is not valid JSON/],
    ['a JSON array', 'x.conflist', '[]', /must hold a JSON object/],
    ['no name', 'x.conflist', { cniVersion: '1.0.0', plugins: [{ type: 'bridge' }] }, /non-empty "name"/],
    ['a name with a slash', 'x.conflist', { cniVersion: '1.0.0', name: '../etc', plugins: [{ type: 'bridge' }] }, /has name/],
    ['no cniVersion', 'x.conflist', { name: 'n', plugins: [{ type: 'bridge' }] }, /"cniVersion" string/],
    ['a pre-0.3 cniVersion', 'x.conflist', { cniVersion: '0.2.0', name: 'n', plugins: [{ type: 'bridge' }] }, /berth supports/],
    ['no plugins', 'x.conflist', { cniVersion: '1.0.0', name: 'n' }, /non-empty "plugins"/],
    ['an empty plugin list', 'x.conflist', { cniVersion: '1.0.0', name: 'n', plugins: [] }, /non-empty "plugins"/],
    ['a plugin without type', 'x.conflist', { cniVersion: '1.0.0', name: 'n', plugins: [{ bridge: 'b' }] }, /plugin 0 needs a non-empty "type"/],
    ['a plugin type that is a path', 'x.conflist', { cniVersion: '1.0.0', name: 'n', plugins: [{ type: '../../bin/sh' }] }, /a plugin type is a bare binary name/],
    ['an absolute plugin type', 'x.conflist', { cniVersion: '1.0.0', name: 'n', plugins: [{ type: '/bin/sh' }] }, /bare binary name/],
    ['a non-boolean capability', 'x.conflist', { cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'portmap', capabilities: { portMappings: 'yes' } }] }, /"capabilities"/],
    ['a .conf without type', 'x.conf', { cniVersion: '1.0.0', name: 'n' }, /plugin 0 needs a non-empty "type"/],
    ['a list saved as .conf', 'x.conf', list('n'), /rename it to \.conflist/],
  ])('refuses %s', (_name, file, content, expected) => {
    const text = typeof content === 'string' ? content : JSON.stringify(content);
    expect(() => parseNetworkConfig(text, `/etc/cni/net.d/${file}`)).toThrow(expected);
  });

  it('names the file in the error', () => {
    expect(() => parseNetworkConfig('{}', '/etc/cni/net.d/10-x.conflist')).toThrow('CNI config /etc/cni/net.d/10-x.conflist needs a non-empty "name"');
  });
});
