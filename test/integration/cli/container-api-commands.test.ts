// docker's container commands the CRI does not cover (`berth kill/rename/diff/export/cp`) as a
// user types them: the real `berth` binary against a real `berth runtime` (runc, conmon, a CNI
// network) through berth.v1.Containers, with the test registry's busybox.
import { chown, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cliWorld } from '../../harness/cli-world.js';
import { eventually } from '../../harness/eventually.js';

const registry = inject('registryHost');
const image = `${registry}/busybox:latest`;
const world = cliWorld('cliapi', 105);
const { cli: berthCli, runDetached, options, berthBin } = world;
const psLine = async (name: string) => (await berthCli('ps', '-a')).stdout.split('\n').find((line) => line.endsWith(`   ${name}`));
const logsOf = async (name: string) => (await berthCli('logs', name)).stdout;

describe('berth kill', () => {
  it('sends KILL by default: the container exits with 137 and kill prints the name it was given', async () => {
    await runDetached('--name', 'killed', image, 'sleep', '300');
    const result = await berthCli('kill', 'killed');
    expect(result.stdout, result.stderr).toBe('killed');
    expect(result.exitCode).toBe(0);
    await eventually(async () => ((await psLine('killed'))?.includes('Exited (137)') ? true : undefined));
  });

  it('sends the signal -s names, by name or by number, and the container handles it and keeps running', async () => {
    await runDetached('--name', 'trapper', image, 'sh', '-c', "trap 'echo got-usr1' USR1; trap 'echo got-hup' HUP; echo ready; while true; do sleep 0.1; done");
    await eventually(async () => ((await logsOf('trapper')).includes('ready') ? true : undefined));
    expect((await berthCli('kill', '-s', 'USR1', 'trapper')).exitCode).toBe(0);
    await eventually(async () => ((await logsOf('trapper')).includes('got-usr1') ? true : undefined));
    expect((await berthCli('kill', '--signal', '1', 'trapper')).exitCode).toBe(0);
    await eventually(async () => ((await logsOf('trapper')).includes('got-hup') ? true : undefined));
    expect(await psLine('trapper')).toMatch(/Up /);
  });

  it('sends SIGTERM written with its SIG prefix; a trap decides the exit code', async () => {
    await runDetached('--name', 'termed', image, 'sh', '-c', "trap 'exit 3' TERM; while true; do sleep 0.1; done");
    expect((await berthCli('kill', '-s', 'SIGTERM', 'termed')).exitCode).toBe(0);
    expect((await berthCli('wait', 'termed')).stdout).toBe('3');
  });

  it('refuses an unknown signal and leaves the container running', async () => {
    const result = await berthCli('kill', '-s', 'SIGNOPE', 'trapper');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/unknown signal "SIGNOPE"/);
    expect(await psLine('trapper')).toMatch(/Up /);
  });

  it('refuses a container that is not running, and goes on with the others', async () => {
    const result = await berthCli('kill', 'killed', 'no-such-container', 'trapper');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/is exited; only a running container/);
    expect(result.stderr).toMatch(/no such container: no-such-container/);
    expect(result.stdout).toBe('trapper');
    await eventually(async () => ((await psLine('trapper'))?.includes('Exited (137)') ? true : undefined));
  });
});

describe('berth rename', () => {
  it('renames the container and its pod: ps, logs and the CRI labels show the new name', async () => {
    await runDetached('--name', 'before', image, 'sh', '-c', 'echo hello; exec sleep 300');
    const result = await berthCli('rename', 'before', 'after');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(await psLine('after')).toMatch(/Up /);
    expect(await psLine('before')).toBeUndefined();
    await eventually(async () => ((await logsOf('after')) === 'hello' ? true : undefined));
    expect((await world.berth.crictl('pods', '--label', 'berth.dev/cli-name=after', '-q')).trim()).not.toBe('');
    expect((await world.berth.crictl('ps', '--label', 'berth.dev/cli-name=before', '-q')).trim()).toBe('');
  });

  it('keeps the new name across a restart (the recorded config has it)', async () => {
    expect((await berthCli('restart', '-t', '0', 'after')).exitCode).toBe(0);
    expect(await psLine('after')).toMatch(/Up /);
  });

  it('refuses a name another container has, and a name docker would refuse', async () => {
    await runDetached('--name', 'other', image, 'sleep', '300');
    const taken = await berthCli('rename', 'other', 'after');
    expect(taken.exitCode).toBe(1);
    expect(taken.stderr).toMatch(/"after" is in use/);
    const invalid = await berthCli('rename', 'other', 'bad/name');
    expect(invalid.exitCode).toBe(1);
    expect(invalid.stderr).toMatch(/invalid container name/);
    expect(await psLine('other')).toMatch(/Up /);
  });
});

const tarList = async (file: string) => (await execa('tar', ['-tvf', file])).stdout.split('\n');

describe('berth diff', () => {
  it("lists docker's A/C/D changes against the image: added, changed, deleted files, an opaque directory", async () => {
    await runDetached(
      '--name',
      'changer',
      image,
      'sh',
      '-c',
      [
        'echo hi > /tmp/added',
        'rm /etc/group',
        'echo extra >> /etc/passwd',
        'mkdir -p /newdir && touch /newdir/f',
        'rm -rf /var && mkdir /var && touch /var/fresh',
        'echo done',
        'exec sleep 300',
      ].join('; '),
    );
    await eventually(async () => ((await logsOf('changer')).includes('done') ? true : undefined));
    const result = await berthCli('diff', 'changer');
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    for (const line of ['C /tmp', 'A /tmp/added', 'C /etc', 'D /etc/group', 'C /etc/passwd', 'A /newdir', 'A /newdir/f', 'D /var', 'A /var/fresh']) {
      expect(lines, result.stdout).toContain(line);
    }
    // The image's own directories that nothing touched are not listed, nor what was under /var.
    expect(
      lines.some((line) => / \/(bin|usr|var\/spool)/.test(line)),
      result.stdout,
    ).toBe(false);
    expect(lines.indexOf('C /etc')).toBeLessThan(lines.indexOf('D /etc/group'));
  });
});

describe('berth export', () => {
  it('writes the whole filesystem as a flat tar, changes included, symlinks as symlinks', async () => {
    await runDetached('--name', 'exported', image, 'sh', '-c', 'echo payload > /root/file; ln -s /etc/shadow /root/shadow-link; rm /etc/group; echo done; exec sleep 300');
    await eventually(async () => ((await logsOf('exported')).includes('done') ? true : undefined));
    const file = join(world.work, 'exported.tar');
    const result = await berthCli('export', '-o', file, 'exported');
    expect(result.exitCode, result.stderr).toBe(0);
    const entries = await tarList(file);
    // busybox's applets are hard links of one file: one carries the data, the tar keeps the rest as links to it.
    expect(entries.some((line) => line.includes(' bin/busybox'))).toBe(true);
    expect(entries.filter((line) => line.startsWith('h') && line.includes(' link to bin/')).length).toBeGreaterThan(100);
    expect(entries.some((line) => line.endsWith(' root/file'))).toBe(true);
    expect(entries.find((line) => line.includes(' root/shadow-link'))).toMatch(/^l.* root\/shadow-link -> \/etc\/shadow$/);
    expect(entries.some((line) => line.endsWith(' etc/group'))).toBe(false);
    expect(entries.some((line) => / \.?\//.test(line.split(' ').at(-1) ?? ''))).toBe(false);
    expect((await execa('tar', ['-xOf', file, 'root/file'])).stdout).toBe('payload');
  });

  it('writes the tar to stdout without -o', async () => {
    const file = join(world.work, 'stdout.tar');
    const result = await execa('sh', ['-c', `"${process.execPath}" "${berthBin()}" export exported > "${file}"`], options());
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await execa('tar', ['-xOf', file, 'root/file'])).stdout).toBe('payload');
  });
});

describe('berth cp', () => {
  let hostDir = '';
  const hostSecret = 'the host secret';
  const inContainer = async (...command: string[]) => (await berthCli('exec', 'copier', ...command)).stdout;
  const hostFiles = async () => (await readdir(hostDir)).sort();

  beforeAll(async () => {
    // The host side the container's symlinks aim at: it must stay unread and untouched.
    hostDir = await mkdtemp(join(tmpdir(), 'berth-cp-host-'));
    await writeFile(join(hostDir, 'secret'), hostSecret);
    await runDetached(
      '--name',
      'copier',
      image,
      'sh',
      '-c',
      [
        'mkdir -p /data/sub && echo one > /data/a && echo two > /data/sub/b',
        'echo container-own > /own',
        'ln -s /own /link',
        `ln -s ${hostDir}/secret /abs-evil`,
        `ln -s ../../../../../../..${hostDir}/secret /rel-evil`,
        `ln -s ${hostDir} /dir-evil`,
        `ln -s ../../../../../..${hostDir} /rel-dir-evil`,
        'echo done',
        'exec sleep 300',
      ].join('; '),
    );
    await eventually(async () => ((await logsOf('copier')).includes('done') ? true : undefined));
  });

  afterAll(async () => {
    if (hostDir) await rm(hostDir, { recursive: true, force: true });
  });

  it('copies a file out to a new name, and into an existing directory under its own name', async () => {
    const out = await mkdtemp(join(world.work, 'out-'));
    expect((await berthCli('cp', 'copier:/data/a', join(out, 'renamed'))).exitCode).toBe(0);
    expect(await readFile(join(out, 'renamed'), 'utf8')).toBe('one\n');
    expect((await berthCli('cp', 'copier:/data/a', out)).exitCode).toBe(0);
    expect(await readFile(join(out, 'a'), 'utf8')).toBe('one\n');
  });

  it('copies a directory out: created when missing, nested when it exists, its contents with /.', async () => {
    const out = await mkdtemp(join(world.work, 'out-'));
    expect((await berthCli('cp', 'copier:/data', join(out, 'fresh'))).exitCode).toBe(0);
    expect(await readFile(join(out, 'fresh/sub/b'), 'utf8')).toBe('two\n');
    await mkdir(join(out, 'existing'));
    expect((await berthCli('cp', 'copier:/data', join(out, 'existing'))).exitCode).toBe(0);
    expect(await readFile(join(out, 'existing/data/a'), 'utf8')).toBe('one\n');
    await mkdir(join(out, 'contents'));
    expect((await berthCli('cp', 'copier:/data/.', join(out, 'contents'))).exitCode).toBe(0);
    expect((await readdir(join(out, 'contents'))).sort()).toEqual(['a', 'sub']);
  });

  it("refuses docker's error cases: a directory over a file, a file to a missing directory", async () => {
    const out = await mkdtemp(join(world.work, 'out-'));
    await writeFile(join(out, 'file'), 'x');
    const dirOverFile = await berthCli('cp', 'copier:/data', join(out, 'file'));
    expect(dirOverFile.exitCode).toBe(1);
    expect(dirOverFile.stderr).toMatch(/cannot copy a directory to a file/);
    const missingDir = await berthCli('cp', 'copier:/data/a', `${join(out, 'nope')}/`);
    expect(missingDir.exitCode).toBe(1);
    expect(missingDir.stderr).toMatch(/must exist/);
    const missingSource = await berthCli('cp', 'copier:/no/such', out);
    expect(missingSource.exitCode).toBe(1);
    expect(missingSource.stderr).toMatch(/no such file or directory/);
  });

  it('streams a tar to stdout with -, its entries under the base name', async () => {
    const file = join(world.work, 'cp-out.tar');
    const result = await execa('sh', ['-c', `"${process.execPath}" "${berthBin()}" cp copier:/data - > "${file}"`], options());
    expect(result.exitCode, result.stderr).toBe(0);
    const names = (await execa('tar', ['-tf', file])).stdout.split('\n').sort();
    expect(names).toEqual(['data/', 'data/a', 'data/sub/', 'data/sub/b']);
  });

  it("copies a symlink as a symlink, and its target with -L (the container's own file)", async () => {
    const out = await mkdtemp(join(world.work, 'out-'));
    expect((await berthCli('cp', 'copier:/link', join(out, 'kept'))).exitCode).toBe(0);
    expect(await readlink(join(out, 'kept'))).toBe('/own');
    expect((await berthCli('cp', '-L', 'copier:/link', join(out, 'followed'))).exitCode).toBe(0);
    expect(await readFile(join(out, 'followed'), 'utf8')).toBe('container-own\n');
  });

  it('copies files in: to a new name, into a directory, a directory, and a tar from stdin', async () => {
    const src = await mkdtemp(join(world.work, 'in-'));
    await writeFile(join(src, 'f'), 'from host');
    await mkdir(join(src, 'tree'));
    await writeFile(join(src, 'tree/leaf'), 'leaf');
    expect((await berthCli('cp', join(src, 'f'), 'copier:/data/g')).exitCode).toBe(0);
    expect((await berthCli('cp', join(src, 'f'), 'copier:/data/sub')).exitCode).toBe(0);
    expect((await berthCli('cp', join(src, 'tree'), 'copier:/data')).exitCode).toBe(0);
    expect(await inContainer('cat', '/data/g', '/data/sub/f', '/data/tree/leaf')).toBe('from hostfrom hostleaf');
    await execa('tar', ['-cf', join(world.work, 'in.tar'), '-C', src, 'f']);
    const piped = await execa('sh', ['-c', `"${process.execPath}" "${berthBin()}" cp - copier:/tmp < "${join(world.work, 'in.tar')}"`], options());
    expect(piped.exitCode, piped.stderr).toBe(0);
    expect(await inContainer('cat', '/tmp/f')).toBe('from host');
  });

  it('makes copied files root-owned, and keeps their uid/gid with -a', async () => {
    const src = await mkdtemp(join(world.work, 'owned-'));
    await writeFile(join(src, 'owned'), 'x');
    await chown(join(src, 'owned'), 1234, 5678);
    expect((await berthCli('cp', join(src, 'owned'), 'copier:/tmp/plain')).exitCode).toBe(0);
    expect((await berthCli('cp', '-a', join(src, 'owned'), 'copier:/tmp/archived')).exitCode).toBe(0);
    expect(await inContainer('stat', '-c', '%u:%g', '/tmp/plain', '/tmp/archived')).toBe('0:0\n1234:5678');
  });

  it.each([
    ['an absolute symlink to a host file', 'copier:/abs-evil'],
    ['a relative symlink climbing out with ..', 'copier:/rel-evil'],
    ['a symlinked parent directory', 'copier:/dir-evil/secret'],
    ['a relative symlinked parent directory', 'copier:/rel-dir-evil/secret'],
  ])('never reads a host file through %s, even with -L', async (_, source) => {
    const out = await mkdtemp(join(world.work, 'evil-'));
    const result = await berthCli('cp', '-L', source, join(out, 'got'));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/no such file or directory/);
    expect(await readdir(out)).toEqual([]);
  });

  it.each([
    ['into a symlinked directory', 'copier:/dir-evil/'],
    ['into a relative symlinked directory', 'copier:/rel-dir-evil/planted'],
    ['below a symlinked parent', 'copier:/dir-evil/planted'],
  ])('never writes to the host %s', async (_, destination) => {
    const src = join(world.work, 'planted');
    await writeFile(src, 'planted');
    expect((await berthCli('cp', src, destination)).exitCode).toBe(1);
    expect(await hostFiles()).toEqual(['secret']);
    expect(await readFile(join(hostDir, 'secret'), 'utf8')).toBe(hostSecret);
  });

  it('replaces a symlink to a host file with the copied file, leaving the host file as it was', async () => {
    const src = join(world.work, 'replacement');
    await writeFile(src, 'replacement');
    expect((await berthCli('cp', src, 'copier:/abs-evil')).exitCode).toBe(0);
    expect(await inContainer('cat', '/abs-evil')).toBe('replacement');
    expect(await readFile(join(hostDir, 'secret'), 'utf8')).toBe(hostSecret);
  });

  it('refuses a tar on stdin that climbs out with .. or plants a symlink and writes through it', async () => {
    const climbing = pack();
    climbing.entry({ name: '../../../../escaped' }, 'x');
    climbing.finalize();
    const planting = pack();
    planting.entry({ name: 'planted-link', type: 'symlink', linkname: hostDir }, '');
    planting.entry({ name: 'planted-link/pwned' }, 'x');
    planting.finalize();
    for (const [archive, error] of [
      [climbing, /leaves the directory/],
      [planting, /not a directory/],
    ] as const) {
      const chunks: Buffer[] = [];
      for await (const chunk of archive as AsyncIterable<Buffer>) chunks.push(chunk);
      const input = Buffer.concat(chunks);
      const result = await execa(process.execPath, [berthBin(), 'cp', '-', 'copier:/tmp'], { ...options(), input });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(error);
    }
    expect(await hostFiles()).toEqual(['secret']);
  });

  it('never reaches the host while the container swaps a directory for a symlink to it', async () => {
    // The container flips /swap/d between a real directory (with a file of its own) and a symlink
    // to the host directory as fast as it can; each copy may fail, but none may touch the host.
    await berthCli(
      'exec',
      'copier',
      'sh',
      '-c',
      `mkdir -p /swap; (while true; do rm -rf /swap/d; mkdir /swap/d; echo mine > /swap/d/secret; rm -rf /swap/d; ln -s ${hostDir} /swap/d; done) > /dev/null 2>&1 &`,
    );
    const src = join(world.work, 'racer');
    await writeFile(src, 'racer');
    const out = await mkdtemp(join(world.work, 'race-'));
    for (let round = 0; round < 15; round += 1) {
      await berthCli('cp', src, 'copier:/swap/d/');
      const read = await berthCli('cp', 'copier:/swap/d/secret', join(out, `got-${round}`));
      if (read.exitCode === 0) expect(await readFile(join(out, `got-${round}`), 'utf8')).toBe('mine\n');
    }
    expect(await hostFiles()).toEqual(['secret']);
    expect(await readFile(join(hostDir, 'secret'), 'utf8')).toBe(hostSecret);
  });
});
