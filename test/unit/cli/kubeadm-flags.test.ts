import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { kubeadmArgs } from '../../../cli/kubeadm-flags.js';
import { buildProgram, withKubeadmFlags } from '../../../cli/main.js';
import type { NodeFlags } from '../../../cli/node-command.js';

describe("kubeadm-flags.env's KUBELET_KUBEADM_ARGS", () => {
  it.each([
    ['double quotes', 'KUBELET_KUBEADM_ARGS="--node-ip=10.0.0.2 --node-labels=a=b"\n', ['--node-ip=10.0.0.2', '--node-labels=a=b']],
    ['single quotes and other lines', "# kubeadm\nOTHER=1\nKUBELET_KUBEADM_ARGS='--node-ip=10.0.0.2'\n", ['--node-ip=10.0.0.2']],
    ['no quotes', 'KUBELET_KUBEADM_ARGS=--node-ip=10.0.0.2\n', ['--node-ip=10.0.0.2']],
    ['none', 'OTHER=1\n', []],
  ])('%s', (_name, text, words) => expect(kubeadmArgs(text, 'f')).toEqual(words));

  it('refuses an unterminated quote', () => {
    expect(() => kubeadmArgs('KUBELET_KUBEADM_ARGS="--node-ip=10.0.0.2\n', 'kubeadm-flags.env')).toThrow(/kubeadm-flags.env: KUBELET_KUBEADM_ARGS has an unterminated "/);
  });
});

describe('berth node --config DIR/config.yaml with DIR/kubeadm-flags.env', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeadm-flags-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'config.yaml'), 'kind: KubeletConfiguration\n');
  writeFileSync(
    join(dir, 'kubeadm-flags.env'),
    'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/x.sock --node-ip=10.0.0.2 --node-labels=a=b --cluster-dns=10.96.0.10 --provider-id=kind://docker/c/n"\n',
  );

  const merged = async (args: string[]): Promise<NodeFlags> => {
    const node = buildProgram().commands.find((command) => command.name() === 'node')!;
    node.parseOptions(['--config', join(dir, 'config.yaml'), ...args]);
    return withKubeadmFlags(node.opts<NodeFlags>(), node);
  };

  it("takes the file's flags where the command line gave none, and names the ones berth does not take", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const flags = await merged([]);
    expect([flags.containerRuntimeEndpoint, flags.nodeIp, flags.nodeLabels, flags.clusterDns]).toEqual(['unix:///run/x.sock', '10.0.0.2', 'a=b', ['10.96.0.10']]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("skipping flags berth's kubelet does not take: --provider-id=kind://docker/c/n"));
    warn.mockRestore();
  });

  it('lets the command line win', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const flags = await merged(['--node-ip', '10.0.0.9', '--cluster-dns', '10.96.0.11']);
    expect([flags.nodeIp, flags.clusterDns, flags.nodeLabels]).toEqual(['10.0.0.9', ['10.96.0.11'], 'a=b']);
  });
});
