import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PodSample } from '../../../kubelet/stats/pod-stats.js';
import { DirectoryUsageCache } from '../../../kubelet/stats/storage.js';
import { buildSummary } from '../../../kubelet/stats/summary.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const nodeFs = { capacityBytes: 100e9, availableBytes: 60e9, usedBytes: 40e9, inodes: 1e6, inodesFree: 9e5, inodesUsed: 1e5 };
const pod: PodSample = {
  name: 'web',
  namespace: 'shop',
  uid: 'u1',
  sandboxId: 's1',
  timestampMs: 0,
  startTimeMs: 0,
  cpuUsageSeconds: 1,
  cpuUsageNanoCores: undefined,
  memoryUsageBytes: 1,
  memoryWorkingSetBytes: 1,
  memoryRssBytes: 1,
  processCount: undefined,
  interfaces: [],
  containers: [
    {
      id: 'c1',
      name: 'main',
      image: 'busybox',
      timestampMs: 0,
      startTimeMs: 0,
      cpuUsageSeconds: 1,
      cpuUsageNanoCores: undefined,
      memoryUsageBytes: 1,
      memoryWorkingSetBytes: 1,
      memoryRssBytes: 1,
      pageFaults: 0,
      majorPageFaults: 0,
      writableLayerBytes: 4096,
    },
  ],
} as PodSample;

describe('storage in /stats/summary', () => {
  it("reports the node fs, each volume, container logs and the pod's ephemeral storage (disk emptyDirs, logs, writable layers)", () => {
    const tmpfs = { ...nodeFs, capacityBytes: 64e6 };
    const summary = buildSummary('n', 0, { timestampMs: 0, cpuUsageSeconds: 1, memoryWorkingSetBytes: 1, memoryAvailableBytes: 1, memoryTotalBytes: 2 }, [pod], {
      nodeFs,
      pods: new Map([
        [
          'u1',
          {
            volumes: [
              { name: 'cache', plugin: 'kubernetes.io~empty-dir', usage: { usedBytes: 8192, inodesUsed: 3 }, fs: nodeFs },
              { name: 'scratch', plugin: 'kubernetes.io~empty-dir', usage: { usedBytes: 1e6, inodesUsed: 2 }, fs: tmpfs },
              { name: 'config', plugin: 'kubernetes.io~configmap', usage: { usedBytes: 4096, inodesUsed: 5 }, fs: nodeFs },
            ],
            logs: new Map([['main', { usedBytes: 12288, inodesUsed: 2 }]]),
          },
        ],
      ]),
    }) as { node: { fs: Record<string, number> }; pods: Record<string, unknown>[] };
    expect(summary.node.fs).toMatchObject({ capacityBytes: 100e9, availableBytes: 60e9, usedBytes: 40e9, inodesUsed: 1e5 });
    const reported = summary.pods[0] as {
      volume: { name: string; usedBytes: number; capacityBytes: number }[];
      'ephemeral-storage': { usedBytes: number };
      containers: { logs: { usedBytes: number } }[];
    };
    expect(reported.volume.map((v) => [v.name, v.usedBytes, v.capacityBytes])).toEqual([
      ['cache', 8192, 100e9],
      ['scratch', 1e6, 64e6],
      ['config', 4096, 100e9],
    ]);
    expect(reported.containers[0]?.logs.usedBytes).toBe(12288);
    // cache (disk emptyDir) + logs + the writable layer; not the tmpfs emptyDir, not the configMap.
    expect(reported['ephemeral-storage'].usedBytes).toBe(8192 + 12288 + 4096);
  });

  it('walks a directory once a minute, counting blocks and inodes, never following symlinks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-usage-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'data'), Buffer.alloc(64 * 1024, 1));
    symlinkSync('/usr', join(dir, 'link'));
    let now = 0;
    const cache = new DirectoryUsageCache(60_000, () => now);
    const first = await cache.usage(dir);
    expect(first.inodesUsed).toBe(4);
    expect(first.usedBytes).toBeGreaterThanOrEqual(64 * 1024);
    expect(first.usedBytes).toBeLessThan(1024 * 1024);
    writeFileSync(join(dir, 'more'), Buffer.alloc(64 * 1024, 1));
    expect((await cache.usage(dir)).inodesUsed).toBe(4);
    now = 61_000;
    expect((await cache.usage(dir)).inodesUsed).toBe(5);
  });
});
