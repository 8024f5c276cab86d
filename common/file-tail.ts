// Reading a file that another process appends to (a container's log, written by conmon): each
// read returns what was added since the last one. The kubelet's log endpoint and the CLI's
// `logs -f` both follow logs with it.
import { open } from 'node:fs/promises';

/** Reads a growing file from an offset; a file not there yet reads as empty. */
export class FileTail {
  private offset = 0;

  constructor(private readonly path: string) {}

  async readNew(): Promise<string> {
    const file = await open(this.path, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!file) return '';
    try {
      const { size } = await file.stat();
      // A rotated or truncated file starts over.
      if (size < this.offset) this.offset = 0;
      if (size === this.offset) return '';
      const buffer = Buffer.alloc(size - this.offset);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, this.offset);
      this.offset += bytesRead;
      return buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await file.close();
    }
  }
}
