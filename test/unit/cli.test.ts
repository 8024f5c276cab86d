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

  // The first `node` command in a vitest worker transforms the kubelet's whole module graph
  // (~3.5 s alone, more on a loaded machine), so the default 5 s is too tight for it.
  it('refuses a node name the API server would refuse, before starting anything', { timeout: 30_000 }, async () => {
    const stderr = captureStderr();
    expect(await run(['node', 'berth', 'node', '--node-name', 'Bad_Name', '--pod-manifest-path', '/tmp/none'])).toBe(1);
    expect(stderr()).toMatch(/not a valid RFC 1123 subdomain/);
  });

  it('rejects a malformed registry mirror with the expected form', async () => {
    const stderr = captureStderr();
    expect(await run(['node', 'berth', 'runtime', '--registry-mirror', 'registry.k8s.io'])).toBe(1);
    expect(stderr()).toContain('expected HOST=URL');
  });

  it('rejects an unknown OCI runtime name before doing anything', async () => {
    const stderr = captureStderr();
    expect(await run(['node', 'berth', 'runtime', '--runtime', 'kata'])).not.toBe(0);
    expect(stderr()).toContain("'kata' is invalid");
  });
});
