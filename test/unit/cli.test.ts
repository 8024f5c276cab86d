import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram, run } from '../../cli/main.js';

afterEach(() => vi.restoreAllMocks());

function captureStderr(): () => string {
  let text = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += chunk.toString();
    return true;
  });
  return () => text;
}

describe('berth command line', () => {
  it('offers runtime and node with the containerd- and kubelet-style flags', () => {
    const commands = new Map(buildProgram().commands.map((c) => [c.name(), c.options.map((o) => o.long)]));
    const runtimeFlags = ['--socket', '--root-dir', '--state-dir', '--runtime', '--insecure-registry', '--cni-conf-dir', '--cni-bin-dir', '--log-level'];
    expect(commands.get('runtime')).toEqual(expect.arrayContaining(runtimeFlags));
    expect(commands.get('node')).toEqual(
      expect.arrayContaining([
        ...runtimeFlags,
        '--kubeconfig',
        '--container-runtime-endpoint',
        '--pod-manifest-path',
        '--node-name',
        '--node-ip',
        '--max-pods',
        '--cluster-dns',
        '--cluster-domain',
        '--config',
      ]),
    );
  });

  it('says clearly that the runtime is not implemented yet, and exits non-zero', async () => {
    const stderr = captureStderr();
    expect(await run(['node', 'berth', 'runtime', '--socket', '/tmp/x.sock'])).toBe(3);
    expect(stderr()).toMatch(/berth runtime .* is not implemented yet \(tracked in issue #3\)/);
  });

  it('rejects an unknown OCI runtime name before doing anything', async () => {
    const stderr = captureStderr();
    expect(await run(['node', 'berth', 'runtime', '--runtime', 'kata'])).not.toBe(0);
    expect(stderr()).toContain("'kata' is invalid");
  });
});
