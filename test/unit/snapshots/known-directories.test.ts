// The unpacker's record of real directories: what it answers after adds and removals.
import { describe, expect, it } from 'vitest';
import { KnownDirectories, parentName } from '../../../runtime/snapshots/known-directories.js';

describe('KnownDirectories', () => {
  it('knows the root from the start', () => {
    expect(new KnownDirectories().has('')).toBe(true);
  });

  it('knows the ancestors of a directory it is told about', () => {
    const known = new KnownDirectories();
    known.add('a/b/c');
    expect(['a', 'a/b', 'a/b/c'].map((name) => known.has(name))).toEqual([true, true, true]);
  });

  it('forgets a removed directory and everything below it', () => {
    const known = new KnownDirectories();
    known.add('a/b/c');
    known.add('a/x');
    known.forget('a/b');
    expect(['a', 'a/x', 'a/b', 'a/b/c'].map((name) => known.has(name))).toEqual([true, true, false, false]);
  });

  it('keeps a sibling whose name merely starts with the removed one', () => {
    const known = new KnownDirectories();
    known.add('a/b');
    known.add('a/bc/d');
    known.forget('a/b');
    expect([known.has('a/bc'), known.has('a/bc/d')]).toEqual([true, true]);
  });

  it('forgets everything but the root when the root is named', () => {
    const known = new KnownDirectories();
    known.add('a/b');
    known.forget('');
    expect([known.has(''), known.has('a'), known.has('a/b')]).toEqual([true, false, false]);
  });

  it('names the parent of a relative name, "" at the top', () => {
    expect([parentName('a/b/c'), parentName('a'), parentName('')]).toEqual(['a/b', '', '']);
  });
});

describe('KnownDirectories at scale', () => {
  it('forgets one directory among very many without touching the others', () => {
    const known = new KnownDirectories();
    for (let i = 0; i < 50_000; i++) known.add(`d${String(i)}/sub`);
    // Replacing each of them in turn stays linear: a quadratic record would take minutes here.
    for (let i = 0; i < 50_000; i++) known.forget(`d${String(i)}`);
    expect([known.has(''), known.has('d0'), known.has('d49999/sub')]).toEqual([true, false, false]);
    known.add('d7/sub');
    expect(known.has('d7')).toBe(true);
  });
});
