// Writing an entry's body in batches: the bytes on disk are the body's, whatever the batch size,
// and a short writev is finished by the next one.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBody } from '../../../runtime/snapshots/write-body.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-write-body-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function chunks(count: number, size: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.alloc(size, i % 251));
}

async function* from(buffers: Buffer[]): AsyncGenerator<Buffer> {
  yield* buffers;
}

describe('writeBody', () => {
  for (const batchBytes of [1, 1000, 1024 * 1024]) {
    it(`writes every chunk in order with batches of ${batchBytes} bytes`, async () => {
      const body = [...chunks(50, 777), Buffer.alloc(0), ...chunks(3, 5000)];
      const path = join(dir, `batch-${batchBytes}`);
      const handle = await open(path, 'w');
      try {
        await writeBody(handle, from(body), batchBytes);
      } finally {
        await handle.close();
      }
      expect(readFileSync(path).equals(Buffer.concat(body))).toBe(true);
    });
  }

  it('writes the rest again after a short writev', async () => {
    const path = join(dir, 'short');
    const real = await open(path, 'w');
    try {
      // A handle whose writev writes at most 100 bytes of what it is given.
      const short = {
        writev: async (buffers: Buffer[]) => real.writev([Buffer.concat(buffers).subarray(0, 100)]),
      } as unknown as FileHandle;
      const body = chunks(4, 333);
      await writeBody(short, from(body));
      expect(readFileSync(path).equals(Buffer.concat(body))).toBe(true);
    } finally {
      await real.close();
    }
  });
});
