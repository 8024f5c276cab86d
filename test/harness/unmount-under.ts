// Unmounts everything mounted at or below a directory, deepest first, before the directory is
// removed: a peer that died (or a kubelet stopped mid-pod) leaves sandbox shm, rootfs and netns
// mounts there, and rmSync of a mounted directory fails with EBUSY after deleting half of it.
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';

/** Mount points under `dir` as the kernel lists them (octal escapes such as \040 decoded). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile('/proc/self/mounts', 'utf8');
  return table
    .split('\n')
    .map((line) => (line.split(' ')[1] ?? '').replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(`${dir}/`));
}

export async function unmountUnder(dir: string): Promise<void> {
  // Deepest first; a lazy unmount detaches one still in use (a shim's open descriptor) at once.
  const mounts = (await mountsUnder(dir)).sort((a, b) => b.length - a.length);
  for (const mountPoint of mounts) await execa('umount', ['-l', mountPoint], { reject: false, timeout: 10_000 });
}
