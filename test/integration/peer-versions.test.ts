// The Go-built peers are the pinned versions, and the Debian ones are present and runnable.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { containerd2Binaries } from '../harness/containerd.js';
import { goTool, pinned } from '../harness/tools.js';

const kubernetes = pinned['KUBERNETES_VERSION'] ?? '';
const criTools = (pinned['CRI_TOOLS_VERSION'] ?? '').replace(/^v/, '');
const etcd = (pinned['ETCD_VERSION'] ?? '').replace(/^v/, '');
const containerd = (pinned['CONTAINERD_VERSION'] ?? '').replace(/^v/, '');

async function output(command: string, ...args: string[]): Promise<string> {
  const result = await execa(command, args, { all: true, reject: false, timeout: 30_000 });
  return result.all ?? '';
}

describe('peers built from Go modules report their pinned versions', () => {
  it.each(['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet'])('%s', async (tool) => {
    expect(await output(goTool(tool), '--version')).toContain(`Kubernetes ${kubernetes}`);
  });

  it('kubectl', async () => {
    const version = JSON.parse(await output(goTool('kubectl'), 'version', '--client', '-o', 'json')) as {
      clientVersion: { gitVersion: string };
    };
    expect(version.clientVersion.gitVersion).toBe(kubernetes);
  });

  it('crictl', async () => {
    expect(await output(goTool('crictl'), '--version')).toContain(`crictl version ${criTools}`);
  });

  it('critest', async () => {
    expect(await output(goTool('critest'), '--version')).toContain(`critest version: ${criTools}`);
  });

  it('etcd', async () => {
    expect(await output(goTool('etcd'), '--version')).toContain(`etcd Version: ${etcd}`);
  });

  it("containerd 2.x (the bench's primary peer)", async () => {
    expect(await output(containerd2Binaries().containerd, '--version')).toMatch(new RegExp(`containerd/v2 ${containerd.replaceAll('.', '\\.')} `));
  });

  it('its runc shim', async () => {
    expect(await output(containerd2Binaries().shim, '-v')).toMatch(new RegExp(`Version:\\s+${containerd.replaceAll('.', '\\.')}\\n`));
  });
});

describe('peers from Debian packages are installed', () => {
  it.each([
    ['runc', ['--version'], /runc version 1\./],
    ['crun', ['--version'], /crun version 1\./],
    ['conmon', ['--version'], /conmon version 2\./],
    ['skopeo', ['--version'], /skopeo version 1\./],
    ['umoci', ['--version'], /umoci version 0\./],
    ['prometheus', ['--version'], /prometheus, version 2\./],
    ['qemu-system-x86_64', ['--version'], /QEMU emulator version/],
    ['/usr/lib/cni/bridge', [], /CNI bridge plugin/],
    ['containerd', ['--version'], /containerd .* 1\.6\./],
  ] as const)('%s', async (command, args, pattern) => {
    expect(await output(command, ...args)).toMatch(pattern);
  });
});
