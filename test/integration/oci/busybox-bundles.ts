// Bundles for the OCI adapter tests: the seeded busybox image unpacked once by umoci, and one
// bundle directory per container whose config.json points at that rootfs. cgroups go below
// this process's own cgroup ("berth-test/<id>", relative: see ENVIRONMENT.md).
import { execa } from 'execa';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seededOciLayout } from '../../harness/tools.js';

export interface BusyboxImage {
  rootfs: string;
  spec: Record<string, unknown> & { process: Record<string, unknown>; root: Record<string, unknown>; linux: Record<string, unknown> };
}

export async function unpackBusybox(dir: string): Promise<BusyboxImage> {
  await execa('umoci', ['unpack', '--image', `${seededOciLayout()}:busybox`, dir]);
  const spec = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as BusyboxImage['spec'];
  return { rootfs: join(dir, 'rootfs'), spec };
}

/** A bundle at `dir` that runs `script` with sh. */
export async function writeBundle(image: BusyboxImage, dir: string, id: string, script: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const spec = structuredClone(image.spec);
  spec.process = { ...spec.process, terminal: false, args: ['sh', '-c', script] };
  spec.root = { path: image.rootfs, readonly: false };
  spec.linux = { ...spec.linux, cgroupsPath: `berth-test/${id}` };
  await writeFile(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}
