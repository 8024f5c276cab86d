// The OCI runtime floor of the test world: umoci unpacks the seeded busybox image into a bundle
// and the real runc runs it.
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTestCgroupParents } from '../harness/cgroups.js';
import { seededOciLayout } from '../harness/tools.js';

const work = mkdtempSync(join(tmpdir(), 'berth-runc-'));
const runcRoot = join(work, 'runc-state');
const containerId = `berth-smoke-${process.pid}`;

afterAll(async () => {
  await execa('runc', ['--root', runcRoot, 'delete', '--force', containerId], { reject: false });
  rmSync(work, { recursive: true, force: true });
  removeTestCgroupParents('berth-test');
});

describe('runc with a umoci-unpacked busybox bundle', () => {
  it('runs the image and prints a line from inside its rootfs', async () => {
    const bundle = join(work, 'bundle');
    await execa('umoci', ['unpack', '--image', `${seededOciLayout()}:busybox`, bundle]);

    const configPath = join(bundle, 'config.json');
    const spec = JSON.parse(readFileSync(configPath, 'utf8')) as {
      process: { terminal: boolean; args: string[] };
      linux: { cgroupsPath?: string };
    };
    spec.process.terminal = false;
    spec.process.args = ['sh', '-c', 'cat /etc/berth-image; echo "pid $$ in $(hostname)"'];
    // Relative: runc places it under its own cgroup in every hierarchy. On these hosts the
    // machine owns the cgroups above ours (see ENVIRONMENT.md).
    spec.linux.cgroupsPath = `berth-test/${containerId}`;
    writeFileSync(configPath, JSON.stringify(spec));

    const result = await execa('runc', ['--root', runcRoot, 'run', '--bundle', bundle, containerId], {
      timeout: 30_000,
      stdin: 'ignore',
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("hello from berth's busybox image");
    // PID 1 of a fresh pid namespace: the process really ran inside the container.
    expect(result.stdout).toMatch(/^pid 1 in /m);
  });
});
