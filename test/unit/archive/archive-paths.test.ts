import { describe, expect, it } from 'vitest';
import { baseName, entryComponents, namesContents, pathComponents, renameTop } from '../../../common/archive/archive-paths.js';
import { parentPath, planCopy } from '../../../common/archive/copy-plan.js';

describe('tar entry names', () => {
  it.each([
    ['a/b', ['a', 'b']],
    ['./a/b/', ['a', 'b']],
    ['/etc/passwd', ['etc', 'passwd']],
    ['a//./b', ['a', 'b']],
    ['./', []],
  ])('%s lands at %j below the extraction directory', (name, expected) => {
    expect(entryComponents(name)).toEqual(expected);
  });

  it.each([
    ['a parent reference', '../etc/passwd'],
    ['a parent reference inside', 'a/../../etc/passwd'],
    ['one that climbs back in', 'a/../b'],
    ['a NUL byte', 'a\0b'],
  ])('refuses %s: %j', (_, name) => {
    expect(() => entryComponents(name)).toThrow(/leaves the directory|NUL/);
  });

  it('renames the top entry only', () => {
    expect(renameTop(['src', 'x', 'y'], 'dest')).toEqual(['dest', 'x', 'y']);
    expect(renameTop(['src'], undefined)).toEqual(['src']);
  });

  it('reads paths as docker cp does', () => {
    expect(pathComponents('/a/../../b/./c')).toEqual(['b', 'c']);
    expect(namesContents('/dir/.')).toBe(true);
    expect(namesContents('/dir/')).toBe(false);
    expect(baseName('/a/b/')).toBe('b');
    expect(baseName('/')).toBe('');
    expect(parentPath('/a/b/')).toBe('/a');
    expect(parentPath('/a')).toBe('/');
    expect(parentPath('b')).toBe('.');
  });
});

describe("docker cp's destination rules", () => {
  const file = (path: string) => ({ path, isDirectory: false });
  const dir = (path: string) => ({ path, isDirectory: true });
  it.each([
    ['a file to a missing path is written as that path', file('/src/f'), { path: '/out/new', kind: 'missing' as const }, { into: '/out', top: 'new' }],
    ['a file over a file overwrites it', file('/src/f'), { path: '/out/old', kind: 'other' as const }, { into: '/out', top: 'old' }],
    ['a file into a directory keeps its name', file('/src/f'), { path: '/out', kind: 'directory' as const }, { into: '/out', top: 'f' }],
    ['a directory to a missing path is created there', dir('/src/d'), { path: '/out/new', kind: 'missing' as const }, { into: '/out', top: 'new' }],
    ['a directory into a directory keeps its name', dir('/src/d'), { path: '/out', kind: 'directory' as const }, { into: '/out', top: 'd' }],
    ["a directory's /. puts its contents in the directory", dir('/src/d/.'), { path: '/out', kind: 'directory' as const }, { into: '/out', top: undefined }],
    ["a directory's /. to a missing path creates it", dir('/src/d/.'), { path: '/out/new', kind: 'missing' as const }, { into: '/out', top: 'new' }],
  ])('%s', (_, source, destination, plan) => {
    expect(planCopy(source, destination)).toEqual(plan);
  });

  it.each([
    ['a file to a missing directory path', file('/src/f'), { path: '/out/new/', kind: 'missing' as const }, /must exist/],
    ['a directory over a file', dir('/src/d'), { path: '/out/f', kind: 'other' as const }, /cannot copy a directory to a file/],
    ['a file to a file written as a directory', file('/src/f'), { path: '/out/f/', kind: 'other' as const }, /is not a directory/],
    ["a file's /.", file('/src/f/.'), { path: '/out', kind: 'directory' as const }, /source is not a directory/],
  ])('refuses %s', (_, source, destination, error) => {
    expect(() => planCopy(source, destination)).toThrow(error);
  });
});
