// The world of the CLI's integration files: a real `berth runtime` on a CNI network of the file's
// own, the test registry, a scratch directory, and the real `berth` binary pointed at that runtime.
// Each file gets the same set-up and the same clean-up (containers the CLI left, the runtime, the
// network, the CLI's pod cgroups, the scratch directory).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { packageRoot } from '../../common/package-root.js';
import { startBerth, type Berth } from './berth.js';
import { removeTestCgroupParents } from './cgroups.js';
import { cniTestNetwork, type CniTestNetwork } from './cni-network.js';

/** Registers the file's beforeAll/afterAll; `name` and `octet` pick its CNI network. */
export function cliWorld(name: string, octet: number) {
  const registry = inject('registryHost');
  let berth: Berth | undefined;
  let network: CniTestNetwork | undefined;
  let work = '';
  const started = (): Berth => {
    if (!berth) throw new Error('the CLI world is not started (its beforeAll failed)');
    return berth;
  };
  /** The berth CLI's entry point, for a shell line that redirects its output. */
  const berthBin = () => join(packageRoot(), 'bin/berth.js');
  /** What every CLI run gets: the runtime's endpoint; it never rejects, the exit code is in the result. */
  const options = () => ({ env: { CONTAINER_RUNTIME_ENDPOINT: `unix://${started().socket}` }, reject: false, timeout: 120_000 }) as const;
  /** `berth ARGS...` with no input. */
  const cli = (...args: string[]) => execa(process.execPath, [berthBin(), ...args], { ...options(), stdin: 'ignore' });
  /** `berth ARGS...` answering `input` on stdin. */
  const cliWithInput = (input: string, ...args: string[]) => execa(process.execPath, [berthBin(), ...args], { ...options(), input });
  /** `berth run -d ARGS...`, expected to succeed; the container ID it prints. */
  const runDetached = async (...args: string[]) => {
    const result = await cli('run', '-d', '--log-root', join(work, 'logs'), ...args);
    expect(result.exitCode, result.stderr).toBe(0);
    return result.stdout.trim();
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), `berth-${name}-`));
    network = cniTestNetwork(name, octet);
    berth = await startBerth({ args: ['--insecure-registry', registry, '--cni-conf-dir', network.confDir] });
  });

  afterAll(async () => {
    if (berth) {
      const left = (await cli('ps', '-a', '-q', '--no-trunc')).stdout.split('\n').filter(Boolean);
      if (left.length > 0) await cli('rm', '-f', ...left);
    }
    await berth?.stop();
    await network?.remove();
    removeTestCgroupParents('berth');
    if (work) await rm(work, { recursive: true, force: true });
  });

  return {
    get berth() {
      return started();
    },
    /** The file's scratch directory (removed after it). */
    get work() {
      return work;
    },
    berthBin,
    options,
    cli,
    cliWithInput,
    runDetached,
  };
}
