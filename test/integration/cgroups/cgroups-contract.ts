// The Cgroups contract (runtime/cgroups/cgroups.ts) as one suite, run against every
// implementation on a real cgroup filesystem: the tree operations, refusals and idempotence the
// runtime relies on, whatever the host's cgroup version.
import { afterEach, describe, expect, it } from 'vitest';
import type { Cgroups } from '../../../runtime/cgroups/cgroups.js';
import { removeCgroups } from './cgroup-cleanup.js';
import { startHeld } from './held-process.js';

export function describeCgroupsContract(name: string, subject: () => { cgroups: Cgroups; parent: string }): void {
  describe(`the Cgroups contract: ${name}`, () => {
    const created: string[] = [];
    const fresh = async (leaf: string): Promise<string> => {
      const { cgroups, parent } = subject();
      const path = `${parent}/${leaf}`;
      created.push(path, parent);
      await cgroups.create(path);
      return path;
    };

    afterEach(async () => {
      await removeCgroups(subject().cgroups, [...new Set(created.splice(0))]);
    });

    it('creates a cgroup twice without complaint, empty of processes', async () => {
      const path = await fresh('twice');
      await subject().cgroups.create(path);
      expect(await subject().cgroups.processes(path)).toEqual([]);
    });

    it('lists a process moved into the cgroup', async () => {
      const path = await fresh('member');
      const held = startHeld('sleep 60');
      try {
        await subject().cgroups.addProcess(path, held.pid);
        expect(await subject().cgroups.processes(path)).toEqual([held.pid]);
      } finally {
        held.kill();
      }
    });

    it('refuses to remove a cgroup that holds a process, and keeps it', async () => {
      const path = await fresh('occupied');
      const held = startHeld('sleep 60');
      try {
        await subject().cgroups.addProcess(path, held.pid);
        await expect(subject().cgroups.remove(path)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
        expect(await subject().cgroups.processes(path)).toEqual([held.pid]);
      } finally {
        held.kill();
      }
    });

    it('refuses to remove a cgroup that has a child cgroup', async () => {
      const child = await fresh('outer/inner');
      created.push(child.slice(0, child.lastIndexOf('/')));
      const outer = child.slice(0, child.lastIndexOf('/'));
      await expect(subject().cgroups.remove(outer)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    });

    it('removes an empty cgroup, and removing it again succeeds', async () => {
      const path = await fresh('gone');
      await subject().cgroups.remove(path);
      await subject().cgroups.remove(path);
      await expect(subject().cgroups.apply(path, {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('refuses to apply limits to a cgroup that does not exist', async () => {
      const { cgroups, parent } = subject();
      await expect(cgroups.apply(`${parent}/never-created`, { pidsMax: 5 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it.each(['/etc', '../escape', 'a/../../b', 'a//b'])('refuses the path "%s" without touching the filesystem', async (path) => {
      await expect(subject().cgroups.create(path)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(subject().cgroups.remove(path)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });
}
