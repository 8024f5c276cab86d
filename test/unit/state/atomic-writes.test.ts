import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeVolatileFileAtomic, writeVolatileJsonAtomic } from '../../../common/atomic-file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-atomic-'));
  dirs.push(dir);
  return dir;
}

describe.each([
  ['durable', writeFileAtomic],
  ['volatile', writeVolatileFileAtomic],
])('a %s atomic write', (_kind, write) => {
  it('replaces the old content whole, with the mode asked for, and leaves no temp file', async () => {
    const dir = scratch();
    const path = join(dir, 'hosts');
    writeFileSync(path, 'old content that is longer than the new one\n');
    await write(path, 'new\n', 0o644);
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['hosts']);
  });

  it('fails on a missing directory and creates nothing', async () => {
    const dir = scratch();
    await expect(write(join(dir, 'missing', 'file'), 'x')).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('a volatile JSON write', () => {
  it('writes the value as indented JSON ending in a newline, readable by owner only', async () => {
    const dir = scratch();
    const path = join(dir, 'config.json');
    await writeVolatileJsonAtomic(path, { ociVersion: '1.2.0' });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ ociVersion: '1.2.0' });
    expect(readFileSync(path, 'utf8').endsWith('}\n')).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
