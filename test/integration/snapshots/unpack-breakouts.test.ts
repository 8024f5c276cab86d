// containerd's TestBreakouts, for berth's layer unpacker with the real mknod and setfattr: each
// case is a hostile layer built here, and after it the "host" (the directory around the snapshot,
// and the real / for absolute links) must be untouched, while the unpack either fails or keeps
// the entry inside the snapshot.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MknodDeviceNodes } from '../../../runtime/linux/device-nodes.js';
import { AttrToolsXattrs } from '../../../runtime/linux/xattr.js';
import { defaultUnpackLimits, unpackLayer, type UnpackLimits } from '../../../runtime/snapshots/unpack-layer.js';
import { requireRoot } from '../../harness/root.js';
import { buildTar, type TarEntry } from './tar-fixtures.js';

requireRoot('integration');

const deps = { xattrs: new AttrToolsXattrs(), devices: new MknodDeviceNodes() };
// "host" files: a victim beside the snapshot and a name in the real /tmp that a link to / reaches
let work: string;
let layer: string;
let victim: string;
const hostTarget = `/tmp/berth-breakout-${process.pid}`;

beforeAll(() => {
  work = realpathSync(mkdtempSync(join(tmpdir(), 'berth-breakouts-')));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(hostTarget, { recursive: true, force: true });
});

let caseNumber = 0;
beforeEach(() => {
  caseNumber += 1;
  const caseDir = join(work, String(caseNumber));
  layer = join(caseDir, 'layer');
  victim = join(caseDir, 'victim');
  mkdirSync(layer, { recursive: true });
  writeFileSync(victim, 'original', { mode: 0o644 });
});

interface BreakoutCase {
  name: string;
  entries: () => TarEntry[];
  /** "refused": the unpack fails; otherwise the snapshot path the entry must be contained at. */
  expect: 'refused' | { contained: () => string };
  limits?: UnpackLimits;
}

const file = (name: string, content = 'pwned'): TarEntry => ({ name, type: 'file', mode: 0o644, content });
const symlink = (name: string, linkname: string): TarEntry => ({ name, type: 'symlink', linkname });
const dir = (name: string, mode = 0o755): TarEntry => ({ name, type: 'directory', mode });

const cases: BreakoutCase[] = [
  { name: 'a ../ path', entries: () => [file('../victim')], expect: 'refused' },
  { name: 'a ../ path in a long name split across ustar prefix and name', entries: () => [file(`../${'x'.repeat(120)}/../victim`)], expect: 'refused' },
  {
    name: 'an absolute path naming the host file',
    entries: () => [file(victim)],
    expect: { contained: () => join(layer, victim) },
  },
  {
    name: 'a symlink to / and a file written through it',
    entries: () => [symlink('link', '/'), file(`link${hostTarget}`)],
    expect: { contained: () => join(layer, hostTarget) },
  },
  {
    name: 'a symlink to ../.. and a file written through it',
    entries: () => [dir('a'), symlink('a/up', '../..'), file('a/up/victim')],
    expect: { contained: () => join(layer, 'victim') },
  },
  {
    name: 'a hardlink to an absolute host file',
    entries: () => [{ name: 'hl', type: 'link', linkname: victim }],
    expect: 'refused',
  },
  {
    name: 'a hardlink to /etc/passwd',
    entries: () => [{ name: 'hl', type: 'link', linkname: '/etc/passwd' }],
    expect: 'refused',
  },
  {
    name: 'a hardlink to a symlink that points at the host file (links the symlink itself)',
    entries: () => [symlink('s', victim), { name: 'h', type: 'link', linkname: 's' }, file('h')],
    expect: { contained: () => join(layer, 'h') },
  },
  { name: 'a hardlink with ../', entries: () => [{ name: 'hl', type: 'link', linkname: '../victim' }], expect: 'refused' },
  {
    name: 'a hardlink through a symlinked directory',
    entries: () => [symlink('d', join(victim, '..')), { name: 'hl', type: 'link', linkname: 'd/victim' }],
    expect: 'refused',
  },
  { name: 'a whiteout named .wh...', entries: () => [file('.wh...', '')], expect: 'refused' },
  { name: 'a whiteout naming nothing', entries: () => [dir('d'), file('d/.wh.', '')], expect: 'refused' },
  {
    name: 'a whiteout below a symlink leaving the snapshot',
    entries: () => [symlink('d', join(victim, '..')), file('d/.wh.victim', '')],
    expect: { contained: () => join(layer, victim) },
  },
  {
    name: 'an opaque whiteout below a symlink leaving the snapshot',
    entries: () => [symlink('d', join(victim, '..')), file('d/.wh..wh..opq', '')],
    expect: { contained: () => join(layer, victim, '..') },
  },
  { name: 'a device node outside', entries: () => [{ name: '../dev', type: 'character-device', devmajor: 1, devminor: 3 }], expect: 'refused' },
  {
    name: 'a device node through a symlink leaving the snapshot',
    entries: () => [symlink('d', join(victim, '..')), { name: 'd/null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 }],
    expect: { contained: () => join(layer, victim, '../null') },
  },
  {
    name: 'a directory replaced by a symlink, then a file below it',
    entries: () => [dir('sub'), symlink('sub', join(victim, '..')), file('sub/victim')],
    expect: { contained: () => join(layer, victim) },
  },
  // The unpacker remembers directories it made (known-directories.ts): each case below caches a
  // directory, replaces it or an ancestor, and then writes below the old name.
  {
    name: 'two files through a symlink to the host directory (a name resolved through a link is not remembered)',
    entries: () => [symlink('l', join(victim, '..')), file('l/first'), file('l/victim')],
    expect: { contained: () => join(layer, victim) },
  },
  {
    name: 'a directory through a symlink above the host directory, then a file in it',
    entries: () => {
      const caseName = basename(join(victim, '..'));
      return [symlink('l', join(victim, '../..')), dir(`l/${caseName}`), file(`l/${caseName}/victim`)];
    },
    expect: { contained: () => join(layer, victim) },
  },
  {
    name: 'a remembered directory replaced by a symlink to the host directory, then a file below it',
    entries: () => [dir('sub'), file('sub/a'), symlink('sub', join(victim, '..')), file('sub/victim')],
    expect: { contained: () => join(layer, victim) },
  },
  {
    name: 'an ancestor of a remembered directory replaced by a symlink, then a file in the remembered one',
    entries: () => {
      const caseName = basename(join(victim, '..'));
      return [dir(`a/${caseName}`), file(`a/${caseName}/f`), symlink('a', join(victim, '../..')), file(`a/${caseName}/victim`)];
    },
    expect: { contained: () => join(layer, victim) },
  },
  {
    name: 'a remembered directory whited out, then a file below it',
    entries: () => [dir('d/e'), file('d/e/f'), file('d/.wh.e', ''), file('d/e/victim')],
    expect: 'refused',
  },
  {
    name: 'a remembered directory whited out and made a symlink to the host directory, then a file below it',
    entries: () => {
      const caseName = basename(join(victim, '..'));
      return [dir(`p/${caseName}`), file(`p/${caseName}/x`), file('.wh.p', ''), symlink('p', join(victim, '../..')), file(`p/${caseName}/victim`)];
    },
    expect: { contained: () => join(layer, victim) },
  },
  {
    name: 'a remembered directory replaced by a hardlink, then a file below it',
    entries: () => [file('f'), dir('d'), file('d/x'), { name: 'd', type: 'link', linkname: 'f' }, file('d/victim')],
    expect: 'refused',
  },
  {
    name: 'a remembered directory replaced by a file, then by a symlink to the host directory, then a file below it',
    entries: () => [dir('d'), file('d/x'), file('d'), symlink('d', join(victim, '..')), file('d/victim')],
    expect: { contained: () => join(layer, victim) },
  },
  {
    name: 'a remembered directory replaced by a symlink, then a hardlink whose target is below it',
    entries: () => [dir('d'), file('d/x'), symlink('d', join(victim, '..')), { name: 'hl', type: 'link', linkname: 'd/victim' }],
    expect: 'refused',
  },
  {
    name: 'a remembered directory replaced by a symlink, then a directory entry below it (chmod 0777)',
    entries: () => {
      const caseName = basename(join(victim, '..'));
      return [dir(`a/${caseName}`), symlink('a', join(victim, '../..')), dir(`a/${caseName}`, 0o777)];
    },
    expect: { contained: () => join(layer, victim, '..') },
  },
  {
    name: 'a remembered directory replaced by a symlink, then an opaque whiteout below it',
    entries: () => [dir('d'), file('d/x'), symlink('d', join(victim, '..')), file('d/.wh..wh..opq', '')],
    expect: { contained: () => join(layer, victim, '..') },
  },
  {
    name: 'a file entry over a symlink to the host file',
    entries: () => [symlink('ln', victim), file('ln')],
    expect: { contained: () => join(layer, 'ln') },
  },
  {
    name: 'a directory entry over a symlink to a host directory (chmod 0777)',
    entries: () => [symlink('tgt', join(victim, '..')), dir('tgt', 0o777)],
    expect: { contained: () => join(layer, 'tgt') },
  },
  {
    name: 'a file with a mode and owner set through a symlinked parent',
    entries: () => [symlink('p', join(victim, '..')), { ...file('p/victim'), mode: 0o4777, uid: 1234 }],
    expect: { contained: () => join(layer, victim) },
  },
  {
    name: 'a uid that overflows 32 bits',
    entries: () => [{ ...file('f'), pax: { uid: '4294967296' } }],
    expect: 'refused',
  },
  { name: 'a path component longer than NAME_MAX', entries: () => [file('x'.repeat(300))], expect: 'refused' },
  {
    name: 'more entries than the limit',
    entries: () => [file('a'), file('b'), file('c'), file('d')],
    expect: 'refused',
    limits: { ...defaultUnpackLimits, maxEntries: 3 },
  },
];

describe('unpackLayer against hostile layers (real mknod and setfattr)', () => {
  for (const c of cases) {
    it(`keeps the host untouched for ${c.name}`, async () => {
      const caseDir = join(victim, '..');
      const victimBefore = lstatSync(victim);
      const caseDirBefore = lstatSync(caseDir);
      const tar = await buildTar(c.entries());
      const result = unpackLayer(Readable.from([tar]), layer, deps, c.limits);

      if (c.expect === 'refused') {
        await expect(result).rejects.toMatchObject({ code: expect.stringMatching(/INVALID_ARGUMENT|RESOURCE_EXHAUSTED/) });
      } else {
        await result;
        expect(existsSync(c.expect.contained())).toBe(true);
      }

      expect(readFileSync(victim, 'utf8')).toBe('original');
      const victimAfter = lstatSync(victim);
      expect([victimAfter.mode, victimAfter.uid, victimAfter.ino]).toEqual([victimBefore.mode, victimBefore.uid, victimBefore.ino]);
      expect(lstatSync(caseDir).mode).toBe(caseDirBefore.mode);
      expect(readdirSync(caseDir).sort()).toEqual(['layer', 'victim']);
      expect(existsSync(hostTarget)).toBe(false);
      expect(existsSync('/null')).toBe(false);
    });
  }
});
