// The v2 implementation against this hybrid host's real cgroup2 mount (/sys/fs/cgroup/unified,
// no limiting controllers enabled): the tree operations and refusals for real. Limits on v2 are
// proven in the qemu guest (v2-guest-limits.test.ts). Anchored at a cgroup this test creates, so
// nothing of the machine's is touched.
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeCgroupFiles } from '../../../runtime/cgroups/cgroup-files.js';
import { CgroupsV2 } from '../../../runtime/cgroups/v2.js';
import { requireRoot } from '../../harness/root.js';
import { describeCgroupsContract } from './cgroups-contract.js';

const mountDir = '/sys/fs/cgroup/unified';
const anchor = `/berth-cgtest-v2-${process.pid}`;
const cgroups = new CgroupsV2({ version: 'v2', hierarchies: [{ name: 'unified', controllers: [], mountDir, anchor }] }, nodeCgroupFiles);

beforeAll(async () => {
  requireRoot('integration');
  await mkdir(join(mountDir, anchor));
});

afterAll(async () => {
  await rmdir(join(mountDir, anchor));
});

describeCgroupsContract('cgroup v2 (this host cgroup2 mount)', () => ({ cgroups, parent: 'contract' }));

describe('cgroup v2 without the controller a limit needs', () => {
  it('refuses the limit, naming the missing file', async () => {
    await cgroups.create('nolimits');
    try {
      await expect(cgroups.apply('nolimits', { memoryBytes: 1 << 20 })).rejects.toMatchObject({
        code: 'FAILED_PRECONDITION',
        message: expect.stringMatching(/memory.max does not exist/),
      });
    } finally {
      await cgroups.remove('nolimits');
    }
  });
});
