// docker commit's pure parts: the committed config and manifest, and the layer tar of an overlay
// upper dir (whiteouts as OCI .wh. files, an opaque dir's .wh..wh..opq).
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { extract, pack as tarPack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { packTree } from '../../../common/archive/pack-tree.js';
import { RootTree } from '../../../runtime/linux/root-tree.js';
import { committedConfig, committedManifest } from '../../../runtime/images/commit-image.js';
import type { ImageConfig } from '../../../runtime/images/oci-types.js';

const digest = (c: string) => `sha256:${c.repeat(64)}` as const;
const parent: ImageConfig = {
  architecture: 'amd64',
  os: 'linux',
  author: 'someone else',
  config: { Env: ['PATH=/bin', 'KEEP=1'], Cmd: ['sh'], WorkingDir: '/' },
  rootfs: { type: 'layers', diff_ids: [digest('a')] },
  history: [{ created_by: 'base' }],
};
const now = new Date('2026-12-07T17:00:00Z');

describe('committedConfig', () => {
  it("folds the container's command, env and working dir in, then the changes, and adds the layer and a history entry", () => {
    const config = committedConfig(
      parent,
      {
        command: [],
        args: ['sh', '-c', 'echo hi'],
        env: [
          { key: 'KEEP', value: '2' },
          { key: 'NEW', value: 'x' },
        ],
        workingDir: '/work',
      },
      digest('b'),
      {
        changes: ['ENV EXTRA=3', 'EXPOSE 80'],
        message: 'my change',
        author: 'me',
        now,
      },
    );
    expect(config.config).toEqual({ Env: ['PATH=/bin', 'KEEP=2', 'NEW=x', 'EXTRA=3'], Cmd: ['sh', '-c', 'echo hi'], WorkingDir: '/work', ExposedPorts: { '80/tcp': {} } });
    expect(config.rootfs.diff_ids).toEqual([digest('a'), digest('b')]);
    expect(config.author).toBe('me');
    expect(config.history).toEqual([{ created_by: 'base' }, { created: now.toISOString(), created_by: 'sh -c echo hi', comment: 'my change', author: 'me' }]);
  });

  it("keeps the image's command when the container gave none, and a -c CMD replaces it; no author leaves none", () => {
    const config = committedConfig(parent, { command: [], args: [], env: [], workingDir: '' }, digest('b'), { changes: ['CMD ["cat", "/x"]'], message: '', author: '', now });
    expect(config.config?.Cmd).toEqual(['cat', '/x']);
    expect(config.author).toBeUndefined();
    expect(config.history?.at(-1)).toEqual({ created: now.toISOString(), created_by: 'sh' });
  });

  it("names the parent's docker layers with OCI's media type in the new OCI manifest", () => {
    const manifest = committedManifest(
      [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: digest('c'), size: 10 }],
      { digest: digest('d'), size: 5 },
      { digest: digest('e'), size: 7, diffId: digest('b') },
    );
    expect(manifest.layers.map((layer) => [layer.mediaType, layer.digest])).toEqual([
      ['application/vnd.oci.image.layer.v1.tar+gzip', digest('c')],
      ['application/vnd.oci.image.layer.v1.tar+gzip', digest('e')],
    ]);
  });
});

describe('packTree of an overlay upper dir as a layer', () => {
  it.skipIf(process.getuid?.() !== 0)('turns whiteouts into .wh. files and marks opaque directories (needs root for mknod)', async () => {
    const upper = await mkdtemp(join(tmpdir(), 'berth-commit-'));
    try {
      await mkdir(join(upper, 'etc'));
      await writeFile(join(upper, 'etc/new'), 'new');
      await execa('mknod', [join(upper, 'etc/gone'), 'c', '0', '0']);
      await mkdir(join(upper, 'opaque'));
      await writeFile(join(upper, 'opaque/only'), '');
      await symlink('/etc/passwd', join(upper, 'link'));
      const tree = await RootTree.open(upper, 'the test upper dir');
      const pack = tarPack();
      const names: string[] = [];
      const reading = (async () => {
        const entries = extract();
        pack.pipe(entries);
        for await (const entry of entries) {
          names.push(`${entry.header.type}:${entry.header.name}`);
          entry.resume();
        }
      })();
      await packTree(tree, [], pack, { top: [], layer: { opaque: async (path) => path.join('/') === 'opaque' } });
      pack.finalize();
      await reading;
      await tree.close();
      expect(names).toEqual(['directory:etc/', 'file:etc/.wh.gone', 'file:etc/new', 'symlink:link', 'directory:opaque/', 'file:opaque/.wh..wh..opq', 'file:opaque/only']);
    } finally {
      await rm(upper, { recursive: true, force: true });
    }
  });
});
