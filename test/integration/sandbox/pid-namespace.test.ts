// The pod pid namespace holder for real: unshare + catatonit as the namespace's pid 1. A process
// in the namespace whose parent exits is reparented to the holder, which must reap it when it
// exits, or the pod collects zombies.
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { UnsharePidNamespaces, type PidNamespace } from '../../../runtime/linux/pid-namespace.js';

const held: PidNamespace[] = [];
const namespaces = new UnsharePidNamespaces('/usr/bin/catatonit');
/** The sandbox dir a holder is started for (only a marker here: nothing is made there). */
const owner = `/run/berth-pid-namespace-test-${process.pid}`;

afterEach(async () => {
  for (const namespace of held.splice(0)) await namespaces.remove(namespace);
});

async function childrenOf(pid: number): Promise<{ pid: number; state: string; command: string }[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const pids = text.trim().split(/\s+/).filter(Boolean).map(Number);
  return Promise.all(
    pids.map(async (child) => {
      const stat = await readFile(`/proc/${child}/stat`, 'utf8').catch(() => '');
      const match = /^\d+ \((.*)\) (\S)/.exec(stat);
      return { pid: child, command: match?.[1] ?? '', state: match?.[2] ?? '?' };
    }),
  );
}

describe('pod pid namespace holder', () => {
  it("runs catatonit as the namespace's pid 1 and reaps the orphans it inherits", async () => {
    const namespace = await namespaces.create(owner);
    held.push(namespace);
    expect((await readFile(`/proc/${namespace.holderPid}/comm`, 'utf8')).trim()).toBe('catatonit');
    // In the namespace: a shell starts a short sleep in the background and exits at once, so
    // the sleep is orphaned to the holder; a long sleep stays to show the holder keeps children.
    await execa('nsenter', [`--pid=${namespace.path}`, '--', 'sh', '-c', '(sleep 0.3 &); (sleep 30 &); true'], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const children = await childrenOf(namespace.holderPid);
    expect(children.filter((c) => c.state === 'Z')).toEqual([]);
    expect(children.map((c) => c.command)).toContain('sleep');
  });

  it('ends the namespace and everything in it when removed', async () => {
    const namespace = await namespaces.create(owner);
    await execa('nsenter', [`--pid=${namespace.path}`, '--', 'sh', '-c', '(sleep 30 &); true'], { stdio: 'ignore' });
    const [sleeper] = await childrenOf(namespace.holderPid);
    expect(sleeper?.command).toBe('sleep');
    await namespaces.remove(namespace);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await readFile(`/proc/${sleeper?.pid ?? 0}/stat`, 'utf8').catch(() => 'gone')).toBe('gone');
  });

  it('is found by the sandbox it was started for, and once removed neither it nor its unshare runs', async () => {
    const namespace = await namespaces.create(owner);
    const found = await namespaces.holdersOf(owner);
    // The holder and the unshare that forked it, which a restarted berth knows from no record.
    expect(found).toContain(namespace.holderPid);
    expect(found).toHaveLength(2);
    expect(await namespaces.holdersOf(`${owner}-other`)).toEqual([]);
    await namespaces.remove(namespace);
    expect(await namespaces.holdersOf(owner)).toEqual([]);
  });
});
