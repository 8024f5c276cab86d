import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { ipMasqComment, ipMasqRulesIn, splitRule } from '../../../cni/ipmasq-leftovers.js';
import { CniNetwork } from '../../../cni/network.js';
import type { PluginExecutor } from '../../../cni/plugin-exec.js';

// `iptables -t nat -S` after the bridge plugin (1.1.1) set up ipMasq for two sandboxes.
const natTable = [
  '-P PREROUTING ACCEPT',
  '-P POSTROUTING ACCEPT',
  '-N CNI-02f63324c78fb7bd4234f3b7',
  '-N CNI-77aa',
  '-N CNI-HOSTPORT-MASQ',
  '-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
  '-A POSTROUTING -s 10.244.171.2/32 -m comment --comment "name: \\"crash-probe\\" id: \\"probe1\\"" -j CNI-02f63324c78fb7bd4234f3b7',
  '-A POSTROUTING -s 10.244.171.3/32 -m comment --comment "name: \\"crash-probe\\" id: \\"probe2\\"" -j CNI-77aa',
  '-A CNI-02f63324c78fb7bd4234f3b7 -d 10.244.171.0/24 -m comment --comment "name: \\"crash-probe\\" id: \\"probe1\\"" -j ACCEPT',
  '-A CNI-02f63324c78fb7bd4234f3b7 ! -d 224.0.0.0/4 -m comment --comment "name: \\"crash-probe\\" id: \\"probe1\\"" -j MASQUERADE',
].join('\n');

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('ipMasq rules left by a DEL without netns', () => {
  it('splits a rule with quoted, escaped arguments as iptables printed it', () => {
    expect(splitRule('-A POSTROUTING -s 10.0.0.2/32 -m comment --comment "name: \\"n\\" id: \\"x\\"" -j CNI-1')).toEqual([
      '-A',
      'POSTROUTING',
      '-s',
      '10.0.0.2/32',
      '-m',
      'comment',
      '--comment',
      'name: "n" id: "x"',
      '-j',
      'CNI-1',
    ]);
  });

  it("finds the sandbox's POSTROUTING jump and its chain by the plugin's comment, and nothing of another sandbox", () => {
    const found = ipMasqRulesIn(natTable, ipMasqComment('crash-probe', 'probe1'));
    expect(found.rules).toEqual([['-s', '10.244.171.2/32', '-m', 'comment', '--comment', 'name: "crash-probe" id: "probe1"', '-j', 'CNI-02f63324c78fb7bd4234f3b7']]);
    expect(found.chains).toEqual(['CNI-02f63324c78fb7bd4234f3b7']);
  });

  it('finds a chain the plugin made before it added the jump', () => {
    const withoutJump = natTable
      .split('\n')
      .filter((line) => !line.includes('10.244.171.2/32'))
      .join('\n');
    expect(ipMasqRulesIn(withoutJump, ipMasqComment('crash-probe', 'probe1'))).toEqual({ rules: [], chains: ['CNI-02f63324c78fb7bd4234f3b7'] });
  });

  it('is deleted by CniNetwork when the netns of an ipMasq bridge is gone, and only then', async () => {
    const root = mkdtempSync(join(tmpdir(), 'berth-ipmasq-'));
    dirs.push(root);
    mkdirSync(join(root, 'net.d'));
    const bridge = (ipMasq: boolean): string => JSON.stringify({ cniVersion: '1.0.0', name: 'crash-probe', plugins: [{ type: 'bridge', ipMasq }] });
    const executor: PluginExecutor = { binDirs: ['/opt/cni/bin'], find: async (type) => type, execute: async () => '' };
    const removed: string[] = [];
    const network = new CniNetwork({
      confDir: join(root, 'net.d'),
      cacheDir: join(root, 'cache'),
      executor,
      logger: silentLogger(),
      ipMasqLeftovers: { remove: async (name, id) => void removed.push(`${name}/${id}`) },
    });
    const identity = { id: 'probe1', netnsPath: join(root, 'gone'), podName: 'p', namespace: 'default', uid: 'u' };
    writeFileSync(join(root, 'net.d/10-net.conflist'), bridge(true));
    await network.tearDownPod(identity);
    writeFileSync(join(root, 'net.d/10-net.conflist'), bridge(false));
    await network.tearDownPod({ ...identity, id: 'probe2' });
    expect(removed).toEqual(['crash-probe/probe1']);
  });
});
