// readFileInRoot against a real temporary tree laid out as a hostile image would be: symlinks to
// host files and devices, a FIFO, a directory, a file over the cap. Each case is refused with an
// InvalidArgumentError naming the path, or resolves inside the root; none reads a host file or hangs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../common/errors.js';
import { readFileInRoot } from '../../../runtime/linux/read-in-root.js';

let parent: string;
let root: string;
let hostFile: string;
const maxBytes = 1024;

beforeAll(() => {
  parent = mkdtempSync(join(tmpdir(), 'berth-read-in-root-'));
  root = join(parent, 'rootfs');
  hostFile = join(parent, 'host-passwd');
  writeFileSync(hostFile, 'hostonly:x:4242:4242::/:/bin/sh\n');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'usr/share'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  writeFileSync(join(root, 'usr/share/passwd'), 'inside:x:7:7::/:/bin/sh\n');
  symlinkSync('../usr/share/passwd', join(root, 'etc/relative-inside'));
  symlinkSync('/usr/share/passwd', join(root, 'etc/absolute-inside'));
  symlinkSync(hostFile, join(root, 'etc/to-host-file'));
  symlinkSync(`../../../../../../..${hostFile}`, join(root, 'etc/climbing-to-host-file'));
  symlinkSync('/dev/zero', join(root, 'etc/to-dev-zero'));
  symlinkSync('loop-b', join(root, 'etc/loop-a'));
  symlinkSync('loop-a', join(root, 'etc/loop-b'));
  execFileSync('mkfifo', [join(root, 'etc/fifo')]);
  mkdirSync(join(root, 'etc/directory'));
  writeFileSync(join(root, 'etc/huge'), Buffer.alloc(maxBytes + 1, 0x61));
  writeFileSync(join(root, 'etc/at-cap'), Buffer.alloc(maxBytes, 0x61));
  writeFileSync(join(root, 'etc-is-a-file'), 'x');
});

afterAll(() => {
  rmSync(parent, { recursive: true, force: true });
});

const read = (path: string) => readFileInRoot(root, path, { maxBytes, rootName: 'the test image' });

describe('readFileInRoot', () => {
  it('reads a regular file below the root', async () => {
    expect((await read('/etc/passwd'))?.toString()).toBe('root:x:0:0::/root:/bin/sh\n');
  });

  it('reads a file of exactly the cap', async () => {
    expect((await read('/etc/at-cap'))?.length).toBe(maxBytes);
  });

  const resolvedInside: { name: string; path: string; expected: string | undefined }[] = [
    { name: 'a relative symlink inside the root', path: '/etc/relative-inside', expected: 'inside:x:7:7::/:/bin/sh\n' },
    { name: 'an absolute symlink, taken from the root', path: '/etc/absolute-inside', expected: 'inside:x:7:7::/:/bin/sh\n' },
    { name: 'a symlink to a host file, which the root lacks', path: '/etc/to-host-file', expected: undefined },
    { name: 'a symlink climbing out with ..', path: '/etc/climbing-to-host-file', expected: undefined },
    { name: 'a symlink to /dev/zero, which the root lacks', path: '/etc/to-dev-zero', expected: undefined },
    { name: 'dot-dot above the root', path: `../../../../..${hostFile}`, expected: undefined },
    { name: 'a missing file', path: '/etc/shadow', expected: undefined },
    { name: 'a path through a file', path: '/etc-is-a-file/passwd', expected: undefined },
  ];
  for (const { name, path, expected } of resolvedInside) {
    it(`resolves ${name} inside the root`, async () => {
      expect((await read(path))?.toString()).toBe(expected);
    });
  }

  const refused: { name: string; path: string; reason: RegExp }[] = [
    { name: 'a FIFO', path: '/etc/fifo', reason: /\/etc\/fifo in the test image: it is a FIFO/ },
    { name: 'a directory', path: '/etc/directory', reason: /\/etc\/directory in the test image: it is a directory/ },
    { name: 'a file over the cap', path: '/etc/huge', reason: /\/etc\/huge in the test image: it has 1025 bytes, more than the 1024 accepted/ },
    { name: 'a symlink loop', path: '/etc/loop-a', reason: /\/etc\/loop-a in the test image: .*symlink loop/ },
  ];
  for (const { name, path, reason } of refused) {
    it(`refuses ${name} with an InvalidArgumentError naming the path`, async () => {
      const error = await read(path).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(reason);
    });
  }

  // mknod needs root; the other cases do not.
  it.skipIf(process.getuid?.() !== 0)('refuses /dev/zero itself when the root holds a device node there', async () => {
    const devRoot = join(parent, 'with-dev');
    mkdirSync(join(devRoot, 'dev'), { recursive: true });
    execFileSync('mknod', [join(devRoot, 'dev/zero'), 'c', '1', '5']);
    symlinkSync('/dev/zero', join(devRoot, 'passwd'));
    await expect(readFileInRoot(devRoot, '/passwd', { maxBytes })).rejects.toThrow(/\/passwd in root .*: it is a character device/);
  });
});
