// The path-resolution table for secure-path, against a real temporary tree with symlinks (no root
// needed): every result must stay inside the root, whatever the links say.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lexicalComponents, resolveInRoot, resolveParentInRoot } from '../../../runtime/linux/secure-path.js';

let root: string;

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'berth-securepath-')));
  mkdirSync(join(root, 'a/b'), { recursive: true });
  writeFileSync(join(root, 'a/b/file'), 'x');
  symlinkSync('/', join(root, 'to-root'));
  symlinkSync('../../..', join(root, 'a/up'));
  symlinkSync('/etc/passwd', join(root, 'abs-file'));
  symlinkSync('b', join(root, 'a/rel'));
  symlinkSync('../../a/b/file', join(root, 'a/b/sibling'));
  symlinkSync('missing/../../../etc', join(root, 'via-missing'));
  symlinkSync('loop1', join(root, 'loop2'));
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('chain1', join(root, 'chain0'));
  symlinkSync('chain2', join(root, 'chain1'));
  symlinkSync('a', join(root, 'chain2'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('resolveInRoot', () => {
  const cases: { name: string; path: string; expected: string }[] = [
    { name: 'a plain relative path', path: 'a/b/file', expected: 'a/b/file' },
    { name: 'an absolute path, taken from the root', path: '/a/b', expected: 'a/b' },
    { name: 'dot-dot above the root, clamped', path: '../../../etc/passwd', expected: 'etc/passwd' },
    { name: 'a symlink to / followed by more', path: 'to-root/etc/shadow', expected: 'etc/shadow' },
    { name: 'a relative symlink climbing out', path: 'a/up/etc/passwd', expected: 'etc/passwd' },
    { name: 'an absolute symlink as last component', path: 'abs-file', expected: 'etc/passwd' },
    { name: 'a relative symlink inside', path: 'a/rel/file', expected: 'a/b/file' },
    { name: 'a symlink with dot-dot back into the tree', path: 'a/b/sibling', expected: 'a/b/file' },
    { name: 'a symlink through a missing directory and dot-dots', path: 'via-missing/x', expected: 'etc/x' },
    { name: 'a chain of symlinks', path: 'chain0/b/file', expected: 'a/b/file' },
    { name: 'a missing tail, kept as named', path: 'a/new/dir', expected: 'a/new/dir' },
    { name: 'the root itself', path: '/', expected: '' },
  ];

  for (const c of cases) {
    it(`resolves ${c.name} inside the root`, async () => {
      expect(await resolveInRoot(root, c.path)).toBe(join(root, c.expected));
    });
  }

  it('refuses a symlink loop', async () => {
    await expect(resolveInRoot(root, 'loop1/x')).rejects.toThrow(/symlink loop/);
  });

  it('refuses a chain longer than the link limit', async () => {
    await expect(resolveInRoot(root, 'chain0/b', { maxSymlinks: 2 })).rejects.toThrow(/more than 2 symlinks/);
  });
});

describe('resolveParentInRoot', () => {
  it('keeps a symlink in the last component unfollowed', async () => {
    expect(await resolveParentInRoot(root, 'to-root')).toEqual({ dir: root, name: 'to-root', path: join(root, 'to-root') });
  });

  it('resolves the directory part securely', async () => {
    expect((await resolveParentInRoot(root, 'a/up/etc/passwd')).path).toBe(join(root, 'etc/passwd'));
  });

  const refused = ['', '/', '.', 'a/..', 'a/.'];
  for (const path of refused) {
    it(`refuses ${JSON.stringify(path)}, which names no entry below the root`, async () => {
      await expect(resolveParentInRoot(root, path)).rejects.toThrow(/does not name an entry/);
    });
  }
});

describe('lexicalComponents', () => {
  it('drops dots and empty parts and clamps dot-dot at the top', () => {
    expect(lexicalComponents('/../a/./b//../c')).toEqual(['a', 'c']);
  });
});
