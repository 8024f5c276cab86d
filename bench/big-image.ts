// The image-pull workload: busybox plus three layers (about 100 MB compressed, 160 MB unpacked), built once with umoci
// and cached next to the tools: shared libraries (compress moderately), text from /usr/share
// (compresses well) and pseudo-random bytes (do not compress), so the pull exercises fetch, hash,
// decompression and writes as real images do.
import { execa } from 'execa';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const BUILD_VERSION = 2;
const MB = 1024 * 1024;

function filesUpTo(root: string, limitBytes: number, accept: (name: string) => boolean): string[] {
  const picked: string[] = [];
  let total = 0;
  const walk = (dir: string): boolean => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return true;
    }
    for (const entry of entries) {
      const path = join(dir, entry);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (!stat) continue;
      if (stat.isDirectory()) {
        if (!walk(path)) return false;
      } else if (stat.isFile() && accept(entry)) {
        if (total + stat.size > limitBytes) return false;
        picked.push(path);
        total += stat.size;
      }
    }
    return true;
  };
  walk(root);
  return picked;
}

function copyInto(rootfs: string, files: string[]): void {
  for (const file of files) {
    const target = join(rootfs, 'payload', relative('/', file));
    mkdirSync(join(target, '..'), { recursive: true });
    cpSync(file, target);
  }
}

function pseudoRandom(bytes: number, seed: number): Buffer {
  const out = Buffer.alloc(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i += 4) {
    // xorshift32: reproducible bytes with no structure a compressor can use.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  return out;
}

/** Returns an OCI layout holding the image under the tag `big`. */
export async function ensureBigImage(toolsDir: string, seededLayout: string): Promise<string> {
  const layout = join(toolsDir, 'bench', `big-image-v${BUILD_VERSION}`);
  if (existsSync(join(layout, 'index.json'))) return layout;
  const work = `${layout}.build`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const image = join(work, 'oci');
  await execa('skopeo', ['copy', '-q', `oci:${seededLayout}:busybox`, `oci:${image}:big`]);
  const bundle = join(work, 'bundle');
  const layer = async (fill: (rootfs: string) => void): Promise<void> => {
    rmSync(bundle, { recursive: true, force: true });
    await execa('umoci', ['unpack', '--image', `${image}:big`, bundle]);
    fill(join(bundle, 'rootfs'));
    await execa('umoci', ['repack', '--image', `${image}:big`, bundle]);
  };
  await layer((rootfs) =>
    copyInto(
      rootfs,
      filesUpTo('/usr/lib/x86_64-linux-gnu', 60 * MB, (n) => n.includes('.so')),
    ),
  );
  await layer((rootfs) =>
    copyInto(
      rootfs,
      filesUpTo('/usr/share', 40 * MB, (n) => !n.endsWith('.gz')),
    ),
  );
  await layer((rootfs) => {
    mkdirSync(join(rootfs, 'payload'), { recursive: true });
    writeFileSync(join(rootfs, 'payload', 'random.bin'), pseudoRandom(60 * MB, 20261123));
  });
  rmSync(bundle, { recursive: true, force: true });
  renameSync(image, layout);
  rmSync(work, { recursive: true, force: true });
  return layout;
}

/** Pushes the image to `registryHost` as `bench/big:gzip` and `bench/big:zstd`. */
export async function pushBigImage(layout: string, registryHost: string): Promise<{ gzip: string; zstd: string }> {
  const gzip = `${registryHost}/bench/big:gzip`;
  const zstd = `${registryHost}/bench/big:zstd`;
  await execa('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${layout}:big`, `docker://${gzip}`]);
  await execa('skopeo', ['copy', '-q', '--dest-tls-verify=false', '--dest-compress-format', 'zstd', `oci:${layout}:big`, `docker://${zstd}`]);
  return { gzip, zstd };
}
