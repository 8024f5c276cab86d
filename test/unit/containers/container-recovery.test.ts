import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import type { ContainerPorts } from '../../../runtime/containers/container-ports.js';
import { removeHalfMadeContainers } from '../../../runtime/containers/container-recovery.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const halfMade = 'b'.repeat(64);
const recorded = 'c'.repeat(64);

function recorder(failing?: string) {
  const calls: string[] = [];
  const step = async (name: string): Promise<void> => {
    calls.push(name);
    if (failing && name.startsWith(failing)) throw new Error(`${name} failed`);
  };
  const ports = {
    monitor: { delete: (id: string) => step(`monitor.delete ${id.slice(0, 4)}`) },
    mounter: { unmount: (target: string) => step(`unmount ${target.split('/').slice(-2).join('/').replace(halfMade, '<id>')}`) },
    snapshots: { remove: (key: string) => step(`snapshots.remove ${key.slice(0, 4)}`) },
  } as unknown as Pick<ContainerPorts, 'monitor' | 'mounter' | 'snapshots'>;
  return { ports, calls };
}

function containersDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-container-recovery-'));
  dirs.push(dir);
  for (const id of [halfMade, recorded]) mkdirSync(join(dir, id, 'rootfs'), { recursive: true });
  return dir;
}

describe('a CreateContainer cut short, at the next start', () => {
  it('kills and deletes its runtime container and conmon, unmounts its rootfs, drops its snapshot and bundle', async () => {
    const dir = containersDir();
    const { ports, calls } = recorder();
    await removeHalfMadeContainers({ containersDir: dir, isRecorded: (id) => id === recorded, ports, logger: silentLogger() });
    expect(calls).toEqual(['monitor.delete bbbb', 'unmount <id>/rootfs', 'snapshots.remove bbbb']);
    expect(existsSync(join(dir, halfMade))).toBe(false);
    expect(existsSync(join(dir, recorded))).toBe(true);
  });

  it('keeps the bundle when its rootfs cannot be unmounted (rm would empty the mounted layer)', async () => {
    const dir = containersDir();
    const { ports } = recorder('unmount');
    await removeHalfMadeContainers({ containersDir: dir, isRecorded: (id) => id === recorded, ports, logger: silentLogger() });
    expect(existsSync(join(dir, halfMade))).toBe(true);
  });
});
