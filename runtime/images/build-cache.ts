// berth build's cache: which image a build step made, by the step's cache key (the client computes
// it as docker does: the parent image, the instruction, the build args it sees, for COPY/ADD the
// hashes of the files copied). One small file per key under <root>/build-cache, named by the
// key's sha256, holding the image id; an entry whose image was removed since answers nothing.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/atomic-file.js';
import { sha256Of } from './digest.js';

export class BuildCache {
  private readonly dir: string;

  constructor(rootDir: string) {
    this.dir = join(rootDir, 'build-cache');
  }

  private path(key: string): string {
    return join(this.dir, sha256Of(Buffer.from(key)).slice('sha256:'.length));
  }

  /** The image id remembered for `key` when `exists` says the store still has it; undefined otherwise. */
  async lookup(key: string, exists: (id: string) => boolean): Promise<string | undefined> {
    const id = await readFile(this.path(key), 'utf8').then(
      (text) => text.trim(),
      () => undefined,
    );
    return id !== undefined && exists(id) ? id : undefined;
  }

  async remember(key: string, id: string): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.path(key), `${id}\n`);
  }
}
