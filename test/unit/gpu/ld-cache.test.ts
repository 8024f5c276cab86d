import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostLdCacheArch, parseLdCache } from '../../../runtime/gpu/ld-cache.js';
import { elfSharedObject } from '../../harness/elf-shared-object.js';

// The fixture is built by the real ldconfig from glibc (present on every glibc system), so the
// parser is checked against the bytes glibc writes, not against our reading of its header file.
describe('parseLdCache on a cache written by the real ldconfig', () => {
  let dir: string;
  let cache: Buffer;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-ldcache-'));
    const libs = join(dir, 'lib');
    execFileSync('mkdir', ['-p', libs]);
    writeFileSync(join(libs, 'libcuda.so.550.54.15'), elfSharedObject('libcuda.so.1'));
    writeFileSync(join(libs, 'libnvidia-ml.so.550.54.15'), elfSharedObject('libnvidia-ml.so.1'));
    writeFileSync(join(libs, 'libempty.so.1'), '');
    writeFileSync(join(dir, 'ld.so.conf'), `${libs}\n`);
    execFileSync('ldconfig', ['-C', join(dir, 'ld.so.cache'), '-f', join(dir, 'ld.so.conf')], { stdio: 'pipe' });
    cache = readFileSync(join(dir, 'ld.so.cache'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // ldconfig always adds the system's trusted directories; only ours are the fixture.
  const ours = (c: Uint8Array) => parseLdCache(c).filter((e) => e.path.startsWith(`${dir}/`));

  it('lists each ELF library by its soname and the path of the soname link', () => {
    const entries = ours(cache);
    expect(entries.map((e) => [e.soname, e.path]).sort()).toEqual([
      ['libcuda.so.1', join(dir, 'lib/libcuda.so.1')],
      ['libnvidia-ml.so.1', join(dir, 'lib/libnvidia-ml.so.1')],
    ]);
  });

  it('files 64-bit libraries under the host architecture', () => {
    expect(new Set(ours(cache).map((e) => e.arch))).toEqual(new Set([hostLdCacheArch()]));
  });

  it('reads a cache that sits inside a larger buffer', () => {
    const padded = Buffer.concat([Buffer.alloc(7), cache]).subarray(7);
    expect(ours(padded)).toHaveLength(2);
  });
});

describe('parseLdCache on hostile input', () => {
  const header = (count: number): Buffer => {
    const b = Buffer.alloc(48);
    b.write('glibc-ld.so.cache1.1', 0, 'latin1');
    b.writeUInt32LE(count, 20);
    b.writeUInt8(2, 28);
    return b;
  };
  const entryPointingAt = (offset: number): Buffer => {
    const e = Buffer.alloc(24);
    e.writeInt32LE(0x0303, 0);
    e.writeUInt32LE(offset, 4);
    e.writeUInt32LE(offset, 8);
    return e;
  };
  const cases: { name: string; input: Buffer; error: string }[] = [
    { name: 'empty file', input: Buffer.alloc(0), error: 'unknown magic' },
    { name: 'not a cache', input: Buffer.from('#!/bin/sh\necho hi\n'), error: 'unknown magic' },
    { name: 'truncated header', input: header(0).subarray(0, 30), error: 'truncated header' },
    { name: 'more entries than bytes', input: header(1000), error: '1000 entries do not fit' },
    { name: 'string past the end', input: Buffer.concat([header(1), entryPointingAt(9999)]), error: 'string offset 9999 past the end' },
    { name: 'unterminated string', input: Buffer.concat([header(1), entryPointingAt(72), Buffer.from('abc')]), error: 'unterminated string at 72' },
    { name: 'legacy-only cache', input: Buffer.concat([Buffer.from('ld.so-1.7.0\0'), Buffer.alloc(4)]), error: 'legacy-only cache' },
  ];
  it.each(cases)('refuses $name', ({ input, error }) => {
    expect(() => parseLdCache(input)).toThrow(error);
  });
});
