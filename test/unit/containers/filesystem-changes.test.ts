import { describe, expect, it } from 'vitest';
import type { EntryStat } from '../../../common/archive/tree.js';
import { filesystemChanges, visibleInLayers, type UpperEntry } from '../../../runtime/containers/filesystem-changes.js';

const at = new Date('2026-01-01T00:00:00Z');
const stat = (kind: EntryStat['kind'], extra: Partial<EntryStat> = {}): EntryStat => ({ kind, mode: 0o755, uid: 0, gid: 0, size: 4096, mtime: at, dev: 1, ino: 1, nlink: 1, rdev: 0, ...extra });
const whiteout = stat('char', { rdev: 0, mode: 0 });
const entry = (path: string, upper: EntryStat, lower?: EntryStat, opaque = false): UpperEntry => ({ path, stat: upper, lower, opaque });

describe('docker diff on an overlay upper dir', () => {
  it('reports an added file and its unchanged parent directory as changed, once', () => {
    expect(filesystemChanges([entry('/tmp', stat('directory'), stat('directory')), entry('/tmp/a', stat('file')), entry('/tmp/b', stat('file'))])).toEqual([
      { path: '/tmp', kind: 'C' },
      { path: '/tmp/a', kind: 'A' },
      { path: '/tmp/b', kind: 'A' },
    ]);
  });

  it('reports a whiteout as a deletion and a file the image has as changed', () => {
    expect(
      filesystemChanges([
        entry('/etc', stat('directory', { mtime: new Date(0) }), stat('directory')),
        entry('/etc/group', whiteout, stat('file')),
        entry('/etc/passwd', stat('file', { size: 9 }), stat('file')),
      ]),
    ).toEqual([
      { path: '/etc', kind: 'C' },
      { path: '/etc/group', kind: 'D' },
      { path: '/etc/passwd', kind: 'C' },
    ]);
  });

  it('reports an opaque directory the image had as deleted, its new contents as added', () => {
    expect(filesystemChanges([entry('/var', stat('directory'), stat('directory'), true), entry('/var/fresh', stat('file'))])).toEqual([
      { path: '/var', kind: 'D' },
      { path: '/var/fresh', kind: 'A' },
    ]);
  });

  it('reports an opaque directory the image did not have as added', () => {
    expect(filesystemChanges([entry('/new', stat('directory'), undefined, true)])).toEqual([{ path: '/new', kind: 'A' }]);
  });

  it('leaves out a directory copied up unchanged, and never reports the root as a parent', () => {
    expect(filesystemChanges([entry('/usr', stat('directory'), stat('directory')), entry('/top', stat('file'))])).toEqual([{ path: '/top', kind: 'A' }]);
  });

  it('sees through layers: the topmost layer that has a path decides, a whiteout there hides it', () => {
    expect(visibleInLayers([undefined, stat('file')])?.kind).toBe('file');
    expect(visibleInLayers([whiteout, stat('file')])).toBeUndefined();
    expect(visibleInLayers([undefined, undefined])).toBeUndefined();
  });
});
