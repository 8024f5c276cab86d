// docker's container commands the CRI does not cover (`berth kill/rename/diff/export/cp`) as a
// user types them: the real `berth` binary against a real `berth runtime` (runc, conmon, a CNI
// network) through berth.v1.Containers, with the test registry's busybox.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { packageRoot } from '../../../common/package-root.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { removeTestCgroupParents } from '../../harness/cgroups.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { eventually } from '../../harness/eventually.js';

const registry = inject('registryHost');
const image = `${registry}/busybox:latest`;
let berth: Berth;
let network: CniTestNetwork;
let work = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-cli-api-'));
  network = cniTestNetwork('cliapi', 105);
  berth = await startBerth({ args: ['--insecure-registry', registry, '--cni-conf-dir', network.confDir] });
});

afterAll(async () => {
  if (berth) {
    const left = (await berthCli('ps', '-a', '-q', '--no-trunc')).stdout.split('\n').filter(Boolean);
    if (left.length > 0) await berthCli('rm', '-f', ...left);
  }
  await berth?.stop();
  await network?.remove();
  removeTestCgroupParents('berth');
  if (work) await rm(work, { recursive: true, force: true });
});

const berthBin = () => join(packageRoot(), 'bin/berth.js');
const options = () => ({ env: { CONTAINER_RUNTIME_ENDPOINT: `unix://${berth.socket}` }, reject: false, timeout: 120_000 }) as const;
/** `berth ARGS...`; never throws, the exit code is in the result. */
const berthCli = (...args: string[]) => execa(process.execPath, [berthBin(), ...args], { ...options(), stdin: 'ignore' });
const runDetached = async (...args: string[]) => {
  const result = await berthCli('run', '-d', '--log-root', join(work, 'logs'), ...args);
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout.trim();
};
const psLine = async (name: string) => (await berthCli('ps', '-a')).stdout.split('\n').find((line) => line.endsWith(`   ${name}`));
const logsOf = async (name: string) => (await berthCli('logs', name)).stdout;

describe('berth kill', () => {
  it("sends KILL by default: the container exits with 137 and kill prints the name it was given", async () => {
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
    expect((await berth.crictl('pods', '--label', 'berth.dev/cli-name=after', '-q')).trim()).not.toBe('');
    expect((await berth.crictl('ps', '--label', 'berth.dev/cli-name=before', '-q')).trim()).toBe('');
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
    await runDetached('--name', 'changer', image, 'sh', '-c', [
      'echo hi > /tmp/added',
      'rm /etc/group',
      'echo extra >> /etc/passwd',
      'mkdir -p /newdir && touch /newdir/f',
      'rm -rf /var && mkdir /var && touch /var/fresh',
      'echo done',
      'exec sleep 300',
    ].join('; '));
    await eventually(async () => ((await logsOf('changer')).includes('done') ? true : undefined));
    const result = await berthCli('diff', 'changer');
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    for (const line of ['C /tmp', 'A /tmp/added', 'C /etc', 'D /etc/group', 'C /etc/passwd', 'A /newdir', 'A /newdir/f', 'D /var', 'A /var/fresh']) {
      expect(lines, result.stdout).toContain(line);
    }
    // The image's own directories that nothing touched are not listed, nor what was under /var.
    expect(lines.some((line) => / \/(bin|usr|var\/spool)/.test(line)), result.stdout).toBe(false);
    expect(lines.indexOf('C /etc')).toBeLessThan(lines.indexOf('D /etc/group'));
  });
});

describe('berth export', () => {
  it('writes the whole filesystem as a flat tar, changes included, symlinks as symlinks', async () => {
    await runDetached('--name', 'exported', image, 'sh', '-c', 'echo payload > /root/file; ln -s /etc/shadow /root/shadow-link; rm /etc/group; echo done; exec sleep 300');
    await eventually(async () => ((await logsOf('exported')).includes('done') ? true : undefined));
    const file = join(work, 'exported.tar');
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
    const file = join(work, 'stdout.tar');
    const result = await execa('sh', ['-c', `"${process.execPath}" "${berthBin()}" export exported > "${file}"`], options());
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await execa('tar', ['-xOf', file, 'root/file'])).stdout).toBe('payload');
  });
});
