// docker's image commands (`berth tag/rmi/history/save/load/import/push/login/logout/image prune`)
// as a user types them: the real `berth` binary against a real `berth runtime` through
// berth.v1.Images, the seeded registry's busybox, a writable docker-registry with htpasswd basic
// auth for push and login, and skopeo as the outside judge of the archive formats.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { packageRoot } from '../../../common/package-root.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { removeTestCgroupParents } from '../../harness/cgroups.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { startHtpasswdRegistry, type HtpasswdRegistry } from '../../harness/htpasswd-registry.js';

const seeded = inject('registryHost');
const busybox = `${seeded}/busybox:latest`;
let berth: Berth;
let network: CniTestNetwork;
let authRegistry: HtpasswdRegistry | undefined;
let authHost = '';
let work = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-image-cli-'));
  // A writable registry that wants a username and password for everything.
  authRegistry = await startHtpasswdRegistry({ username: 'pusher', password: 's3cret', readOnly: false });
  authHost = authRegistry.host;
  network = cniTestNetwork('image-cli', 130);
  berth = await startBerth({ args: ['--insecure-registry', seeded, '--insecure-registry', authHost, '--cni-conf-dir', network.confDir] });
});

afterAll(async () => {
  await berth?.stop();
  await network?.remove();
  await authRegistry?.stop();
  removeTestCgroupParents('berth');
  if (work) await rm(work, { recursive: true, force: true });
});

const dockerConfigDir = () => join(work, 'docker');
const cliOptions = () => ({ env: { CONTAINER_RUNTIME_ENDPOINT: `unix://${berth.socket}`, DOCKER_CONFIG: dockerConfigDir() }, reject: false, timeout: 180_000 }) as const;
/** `berth ARGS...`; never throws, the exit code is in the result. */
const berthCli = (...args: string[]) => execa(process.execPath, [join(packageRoot(), 'bin/berth.js'), ...args], { ...cliOptions(), stdin: 'ignore' });
const berthCliWithInput = (input: string, ...args: string[]) => execa(process.execPath, [join(packageRoot(), 'bin/berth.js'), ...args], { ...cliOptions(), input });
const run = (...args: string[]) => berthCli('run', '--log-root', join(work, 'logs'), '--rm', ...args);

async function ok(...args: string[]): Promise<string> {
  const result = await berthCli(...args);
  expect(result.exitCode, `berth ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** The blob files of an image archive, by name, after extracting it. */
async function archiveBlobs(archive: string): Promise<Map<string, Buffer>> {
  const dir = await mkdtemp(join(work, 'extract-'));
  execFileSync('tar', ['-xf', archive, '-C', dir]);
  const blobs = new Map<string, Buffer>();
  for (const name of readdirSync(join(dir, 'blobs/sha256'))) blobs.set(name, readFileSync(join(dir, 'blobs/sha256', name)));
  return blobs;
}

describe('berth tag, login, push, rmi, pull', () => {
  const target = () => `${authHost}/course/busybox:v1`;

  it('tags a pulled image under a second name that lists with the same id', async () => {
    await ok('pull', busybox);
    expect(await ok('tag', busybox, target())).toBe('');
    const images = await ok('images');
    const ids = images
      .split('\n')
      .filter((line) => line.includes('busybox'))
      .map((line) => line.split(/\s+/)[2]);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    expect(new Set(ids).size).toBe(1);
  });

  it('refuses to push without credentials, naming berth login', async () => {
    const result = await berthCli('push', target());
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/credentials|username and password/);
  });

  it('refuses a wrong password at login and stores nothing', async () => {
    const result = await berthCliWithInput('wrong\n', 'login', '-u', 'pusher', '--password-stdin', authHost);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('incorrect username or password');
    expect(existsSync(join(dockerConfigDir(), 'config.json'))).toBe(false);
  });

  it("logs in with --password-stdin and stores docker's auths entry", async () => {
    const result = await berthCliWithInput('s3cret\n', 'login', '-u', 'pusher', '--password-stdin', authHost);
    expect(result.stdout, result.stderr).toBe('Login Succeeded');
    const config = JSON.parse(await readFile(join(dockerConfigDir(), 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(config.auths[authHost]?.auth).toBe(Buffer.from('pusher:s3cret').toString('base64'));
  });

  it("pushes with the stored credentials, printing docker's progress lines", async () => {
    const stdout = await ok('push', target());
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`The push refers to repository [${authHost}/course/busybox]`);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^[0-9a-f]{12}: Preparing$/), expect.stringMatching(/^[0-9a-f]{12}: Pushed$/)]));
    expect(lines.at(-1)).toMatch(/^v1: digest: sha256:[0-9a-f]{64} size: \d+$/);
    // A second push finds every layer there.
    expect(await ok('push', target())).toMatch(/^[0-9a-f]{12}: Layer already exists$/m);
  });

  it('untags with rmi while another name remains, then pulls back with the stored credentials and runs', async () => {
    expect(await ok('rmi', target())).toBe(`Untagged: ${target()}`);
    expect(await ok('images')).not.toContain(`${authHost}/course/busybox`);
    await ok('pull', target());
    const result = await run(target(), 'echo', 'pulled back');
    expect(result.stdout, result.stderr).toBe('pulled back');
  });

  it('logs out, and a pull without credentials is refused', async () => {
    expect(await ok('logout', authHost)).toBe(`Removing login credentials for ${authHost}`);
    expect(await ok('logout', authHost)).toBe(`Not logged in to ${authHost}`);
    await ok('rmi', target());
    const result = await berthCli('pull', target());
    expect(result.exitCode).toBe(1);
  });
});

describe('berth rmi', () => {
  it('refuses an image a container uses unless -f, and with -f deletes it while the container still runs its snapshot', async () => {
    const name = `${seeded}/busybox:rmi-test`;
    await ok('tag', busybox, name);
    await ok('rmi', busybox);
    const id = (await ok('run', '-d', '--log-root', join(work, 'logs'), '--name', 'user', name, 'sleep', '300')).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    await ok('stop', '-t', '0', 'user');
    const refused = await berthCli('rmi', name);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/unable to remove repository reference .* \(must force\) - container [0-9a-f]{12} is using its referenced image/);
    const forced = await ok('rmi', '-f', name);
    expect(forced).toMatch(new RegExp(`^Untagged: ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(forced).toMatch(/^Deleted: sha256:[0-9a-f]{64}$/m);
    await ok('rm', 'user');
  });

  it('says which image does not exist and goes on with the others', async () => {
    await ok('pull', busybox);
    const result = await berthCli('rmi', 'no-such-image:1', `${seeded}/busybox:absent`);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('No such image: no-such-image:1');
  });
});

describe('berth history', () => {
  it("shows the config's history newest first, the id on the top line", async () => {
    const stdout = await ok('history', busybox);
    const [header, top, ...rest] = stdout.split('\n');
    expect(header).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    expect(top).toMatch(/^[0-9a-f]{12}\s+\S.* ago\s+/);
    for (const line of rest) expect(line).toMatch(/^<missing>\s+/);
    const quiet = (await ok('history', '-q', '--no-trunc', busybox)).split('\n');
    expect(quiet[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(quiet.length).toBe(1 + rest.length);
  });
});

describe('berth save and load', () => {
  let saved = '';

  it('saves an archive and loads it back with every blob the same, byte for byte', async () => {
    saved = join(work, 'busybox.tar');
    expect(await ok('save', '-o', saved, busybox)).toBe('');
    const before = await archiveBlobs(saved);
    await ok('rmi', busybox);
    expect(await ok('load', '-i', saved)).toBe(`Loaded image: ${busybox}`);
    const again = join(work, 'busybox-again.tar');
    await ok('save', '-o', again, busybox);
    expect(await archiveBlobs(again)).toEqual(before);
    const result = await run(busybox, 'echo', 'loaded');
    expect(result.stdout, result.stderr).toBe('loaded');
  });

  it('streams through stdout and stdin as docker save | docker load', async () => {
    const piped = await execa('bash', ['-c', `node ${join(packageRoot(), 'bin/berth.js')} save ${busybox} | node ${join(packageRoot(), 'bin/berth.js')} load`], cliOptions());
    expect(piped.stdout, piped.stderr).toBe(`Loaded image: ${busybox}`);
  });

  it('writes a docker-archive skopeo reads: the same config and layers (dir:), and converted to OCI (oci:)', async () => {
    const dir = join(work, 'skopeo-dir');
    await execa('skopeo', ['copy', `docker-archive:${saved}`, `dir:${dir}`]);
    const id = (await ok('history', '-q', '--no-trunc', busybox)).split('\n')[0] ?? '';
    expect(existsSync(join(dir, id.slice('sha256:'.length)))).toBe(true);
    const oci = join(work, 'skopeo-oci');
    await execa('skopeo', ['copy', `docker-archive:${saved}`, `oci:${oci}:busybox`]);
    expect(JSON.parse(readFileSync(join(oci, 'index.json'), 'utf8'))).toMatchObject({ manifests: [{ annotations: { 'org.opencontainers.image.ref.name': 'busybox' } }] });
  });

  it('is an OCI archive too: skopeo copies oci-archive: from it', async () => {
    await execa('skopeo', ['copy', `oci-archive:${saved}`, `oci:${join(work, 'skopeo-oci-2')}:busybox`]);
  });

  it.each([
    ['docker-archive', (file: string) => `docker-archive:${file}:localhost/skopeo/busybox:docker`],
    ['oci-archive', (file: string) => `oci-archive:${file}:localhost/skopeo/busybox:oci`],
  ])('loads a %s skopeo wrote and runs it', async (kind, destination) => {
    const file = join(work, `skopeo-${kind}.tar`);
    await execa('skopeo', ['copy', `docker-archive:${saved}`, destination(file)]);
    const tag = kind === 'docker-archive' ? 'docker' : 'oci';
    // skopeo's docker-archive keeps the config, so the image would be here already: remove it,
    // every name, so that the load stores skopeo's (uncompressed) layers itself.
    if (kind === 'docker-archive') {
      const id = (await ok('history', '-q', '--no-trunc', busybox)).split('\n')[0] ?? '';
      expect(await ok('rmi', '-f', id)).toContain(`Deleted: ${id}`);
    }
    expect(await ok('load', '-i', file)).toBe(`Loaded image: localhost/skopeo/busybox:${tag}`);
    const result = await run(`localhost/skopeo/busybox:${tag}`, 'echo', kind);
    expect(result.stdout, result.stderr).toBe(kind);
  });

  it('refuses a file that is no image archive', async () => {
    const file = join(work, 'not-an-image.tar');
    await writeFile(join(work, 'note.txt'), 'not an image\n');
    execFileSync('tar', ['-cf', file, '-C', work, 'note.txt']);
    const result = await berthCli('load', '-i', file);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('holds neither index.json nor manifest.json');
  });
});

describe('berth import', () => {
  it('makes a one-layer image of a flat tarball that runs, with -c and -m applied', async () => {
    // busybox's one layer, gunzipped, is a flat root filesystem tarball.
    const dir = join(work, 'flat');
    await mkdir(dir);
    execFileSync('tar', ['-xf', join(work, 'busybox.tar'), '-C', dir]);
    const [layer] = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { Layers: string[] }[])[0]?.Layers ?? [];
    execFileSync('bash', ['-c', `gunzip -c ${join(dir, layer ?? '')} > ${join(work, 'rootfs.tar')}`]);
    const stdout = await ok('import', '-c', 'CMD ["echo", "imported"]', '-c', 'ENV WHO=course', '-m', 'from the course', join(work, 'rootfs.tar'), 'localhost/course/flat:1');
    expect(stdout).toMatch(/^sha256:[0-9a-f]{64}$/);
    const result = await run('localhost/course/flat:1');
    expect(result.stdout, result.stderr).toBe('imported');
    const env = await run('localhost/course/flat:1', 'sh', '-c', 'echo $WHO');
    expect(env.stdout).toBe('course');
    expect(await ok('history', 'localhost/course/flat:1')).toMatch(/from the course$/m);
  });

  it('reads the tarball from stdin with -', async () => {
    const piped = await execa('bash', ['-c', `node ${join(packageRoot(), 'bin/berth.js')} import - localhost/course/flat:stdin < ${join(work, 'rootfs.tar')}`], cliOptions());
    expect(piped.stdout, piped.stderr).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await ok('history', 'localhost/course/flat:stdin')).toMatch(/Imported from -/);
  });
});

describe('berth image prune', () => {
  it('removes only dangling images, then with -a every image no container uses', async () => {
    const dangling = (await ok('import', join(work, 'rootfs.tar'))).trim();
    await ok('run', '-d', '--log-root', join(work, 'logs'), '--name', 'keeper', busybox, 'sleep', '300');
    const pruned = await ok('image', 'prune', '-f');
    expect(pruned).toContain(`deleted: ${dangling}`);
    expect(pruned).toMatch(/Total reclaimed space: /);
    expect(await ok('images')).toContain('localhost/course/flat');

    const all = await ok('image', 'prune', '-a', '-f');
    expect(all).toContain('untagged: localhost/course/flat:1');
    const images = await ok('images');
    expect(images).not.toContain('localhost/course/flat');
    expect(images).toContain(`${seeded}/busybox`);
    await ok('rm', '-f', 'keeper');
  });

  it('asks before pruning and does nothing on no', async () => {
    const result = await berthCliWithInput('n\n', 'image', 'prune');
    expect(result.stdout).toContain('WARNING! This will remove all dangling images.');
    expect(result.exitCode).toBe(1);
  });
});
