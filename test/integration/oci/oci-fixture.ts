// One temp world per test file for the OCI adapters: the real runc and conmon with their own
// roots, and cleanup of everything a test created (containers, conmon processes, cgroups, dirs)
// whether it passed or not.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../common/logger.js';
import { Conmon } from '../../../runtime/oci/conmon.js';
import { ContainerMonitor } from '../../../runtime/oci/container-monitor.js';
import { OciRuntime } from '../../../runtime/oci/oci-runtime.js';
import { findExecutable } from '../../../runtime/oci/runtime-selection.js';
import { removeTestCgroupParents } from '../../harness/cgroups.js';
import { unpackBusybox, writeBundle, type BusyboxImage } from './busybox-bundles.js';

export interface OciWorld {
  work: string;
  runtime: OciRuntime;
  conmon: Conmon;
  monitor: ContainerMonitor;
  /** A fresh set of adapters over the same directories: what a restarted berth would build. */
  newAdapters(): { runtime: OciRuntime; conmon: Conmon; monitor: ContainerMonitor };
  /** Writes a bundle running `script`; the container id is tracked for cleanup. */
  bundle(script: string): Promise<{ id: string; bundleDir: string; logPath: string }>;
  cleanup(): Promise<void>;
}

async function required(name: string): Promise<string> {
  const path = await findExecutable(name, process.env['PATH'] ?? '');
  if (!path) throw new Error(`${name} is not installed: run "npm run tools"`);
  return path;
}

export async function createOciWorld(): Promise<OciWorld> {
  const work = await mkdtemp(join(tmpdir(), 'berth-oci-'));
  const [runcPath, conmonPath] = await Promise.all([required('runc'), required('conmon')]);
  const image: BusyboxImage = await unpackBusybox(join(work, 'image'));
  const ids: string[] = [];

  const build = (): { runtime: OciRuntime; conmon: Conmon; monitor: ContainerMonitor } => {
    const runtime = new OciRuntime({ name: 'runc', path: runcPath, root: join(work, 'runc') });
    const conmon = new Conmon({
      conmonPath,
      runtime,
      stateDir: join(work, 'monitor'),
      exitDir: join(work, 'exits'),
      socketDir: join(work, 'sockets'),
      logger: silentLogger(),
    });
    const monitor = new ContainerMonitor({
      runtime,
      conmon,
      exitDir: join(work, 'exits'),
      socketDir: join(work, 'sockets'),
      execDir: join(work, 'exec'),
      conmonPath,
      searchPath: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      logger: silentLogger(),
    });
    return { runtime, conmon, monitor };
  };
  const adapters = build();

  return {
    work,
    ...adapters,
    newAdapters: build,
    async bundle(script) {
      const id = `berth-oci-${randomBytes(4).toString('hex')}`;
      ids.push(id);
      const bundleDir = await writeBundle(image, join(work, 'bundles', id), id, script);
      await mkdir(join(work, 'logs'), { recursive: true });
      return { id, bundleDir, logPath: join(work, 'logs', `${id}.log`) };
    },
    async cleanup() {
      for (const id of ids) {
        await adapters.runtime.delete(id, { force: true }).catch(() => undefined);
        await adapters.conmon.killConmon(id).catch(() => undefined);
        await adapters.conmon.removeFiles(id).catch(() => undefined);
      }
      removeTestCgroupParents('berth-test');
      await rm(work, { recursive: true, force: true });
    },
  };
}
