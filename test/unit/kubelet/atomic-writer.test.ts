// The atomic writer on a real filesystem: layout, unchanged payloads, swaps and removals.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writePayload } from '../../../kubelet/atomic-writer.js';
import type { Payload } from '../../../kubelet/volume-payload.js';

let dir = '';
beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'berth-writer-')), 'vol');
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

const payload = (files: Record<string, string>, mode = 0o644): Payload => new Map(Object.entries(files).map(([path, text]) => [path, { data: Buffer.from(text), mode }]));

describe('atomic volume writer', () => {
  it('lays the files out behind ..data, each top-level name a link through it', async () => {
    expect(await writePayload(dir, payload({ 'a.conf': 'A', 'sub/b': 'B' }, 0o600))).toBe(true);
    expect(readlinkSync(join(dir, 'a.conf'))).toBe('..data/a.conf');
    expect(readlinkSync(join(dir, 'sub'))).toBe('..data/sub');
    expect(readlinkSync(join(dir, '..data'))).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.[0-9a-f]{8}$/);
    expect(readFileSync(join(dir, 'sub', 'b'), 'utf8')).toBe('B');
    expect(statSync(join(dir, 'a.conf')).mode & 0o777).toBe(0o600);
  });

  it('writes nothing when the payload is what the volume already shows', async () => {
    await writePayload(dir, payload({ a: 'A' }));
    const before = readlinkSync(join(dir, '..data'));
    expect(await writePayload(dir, payload({ a: 'A' }))).toBe(false);
    expect(readlinkSync(join(dir, '..data'))).toBe(before);
    expect(await writePayload(dir, payload({ a: 'A' }, 0o400))).toBe(true);
  });

  it('swaps to new content, drops removed names and the old data directory, and leaves other files alone', async () => {
    await writePayload(dir, payload({ a: 'A', gone: 'G' }));
    const old = readlinkSync(join(dir, '..data'));
    writeFileSync(join(dir, 'not-ours'), 'x');
    expect(await writePayload(dir, payload({ a: 'A2', c: 'C' }))).toBe(true);
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('A2');
    expect(readFileSync(join(dir, 'c'), 'utf8')).toBe('C');
    expect(() => lstatSync(join(dir, 'gone'))).toThrow(/ENOENT/);
    expect(readdirSync(dir)).not.toContain(old);
    expect(readFileSync(join(dir, 'not-ours'), 'utf8')).toBe('x');
    expect(readdirSync(dir).filter((name) => name.startsWith('..')).length).toBe(2);
  });

  // What the current data directory holds is compared, not trusted: a FIFO there must not hang the
  // comparison, and a link to a host file must not be read through.
  for (const [what, plant] of [
    ['a FIFO', (path: string) => execFileSync('mkfifo', ['-m', '644', path])],
    ['a symlink to a file of the same content', (path: string) => symlinkSync(join(dir, '..', 'same'), path)],
  ] as const) {
    it(`rewrites a payload file that became ${what} instead of reading it`, async () => {
      writeFileSync(join(dir, '..', 'same'), 'A', { mode: 0o644 });
      await writePayload(dir, payload({ a: 'A' }));
      const data = join(dir, readlinkSync(join(dir, '..data')), 'a');
      unlinkSync(data);
      plant(data);
      expect(await writePayload(dir, payload({ a: 'A' }))).toBe(true);
      expect(lstatSync(join(dir, readlinkSync(join(dir, '..data')), 'a')).isFile()).toBe(true);
      expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('A');
    });
  }
});
