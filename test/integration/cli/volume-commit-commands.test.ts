// docker's named volumes and docker commit on berth as a user types them: the real `berth` binary
// against a real `berth runtime` (runc, conmon, overlayfs, a CNI network) through berth.v1.Volumes
// and berth.v1.Images, with the test registry's busybox. Volume data lives in the runtime's root
// dir and outlives containers; a committed image runs with berth run and saves with berth save.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { cliWorld } from '../../harness/cli-world.js';
import { eventually } from '../../harness/eventually.js';
import { execa } from 'execa';

const registry = inject('registryHost');
const image = `${registry}/busybox:latest`;
const world = cliWorld('cli-volcommit', 190);
const { cli: berth, runDetached } = world;
const runRm = (...args: string[]) => berth('run', '--rm', '--log-root', join(world.work, 'logs'), ...args);
const names = async () => (await berth('volume', 'ls', '-q')).stdout.split('\n').filter(Boolean);

describe('berth volume create / ls / inspect', () => {
  it("creates a volume, prints its name, and lists it in docker's table", async () => {
    const created = await berth('volume', 'create', '--label', 'team=web', 'site-data');
    expect(created.exitCode, created.stderr).toBe(0);
    expect(created.stdout).toBe('site-data');
    const listed = await berth('volume', 'ls');
    expect(listed.stdout.split('\n')[0]).toBe('DRIVER    VOLUME NAME');
    expect(listed.stdout.split('\n')).toContain('local     site-data');
    expect(await names()).toContain('site-data');
  });

  it('answers the existing volume when the name is created again, as docker does', async () => {
    const again = await berth('volume', 'create', 'site-data');
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await names()).filter((name) => name === 'site-data')).toHaveLength(1);
  });

  it("inspects a volume as docker does: its mountpoint is a directory under the runtime's root dir", async () => {
    const result = await berth('volume', 'inspect', 'site-data');
    expect(result.exitCode, result.stderr).toBe(0);
    const [volume] = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(volume).toMatchObject({ Driver: 'local', Name: 'site-data', Labels: { team: 'web' }, Mountpoint: join(world.berth.rootDir, 'volumes/site-data/_data'), Scope: 'local', Options: null });
    expect(volume?.['CreatedAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await stat(volume?.['Mountpoint'] as string)).isDirectory()).toBe(true);
    expect((await berth('volume', 'inspect', '-f', '{{.Name}} {{.Driver}}', 'site-data')).stdout).toBe('site-data local');
  });

  it('formats and filters the list', async () => {
    expect((await berth('volume', 'ls', '--format', '{{.Name}}:{{.Labels}}', '--filter', 'label=team=web')).stdout).toBe('site-data:team=web');
    expect((await berth('volume', 'ls', '-q', '--filter', 'name=nothing-like-it')).stdout).toBe('');
    const refused = await berth('volume', 'ls', '--format', '{{range .}}x{{end}}');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/--format: berth understands/);
  });
});

describe('berth run -v NAME:/path', () => {
  it('keeps what one container wrote for the next one, the volume made on first use', async () => {
    const written = await runRm('-v', 'notes:/notes', image, 'sh', '-c', 'echo kept > /notes/file');
    expect(written.exitCode, written.stderr).toBe(0);
    expect(await names()).toContain('notes');
    const read = await runRm('-v', 'notes:/data:ro', image, 'cat', '/data/file');
    expect(read.stdout, read.stderr).toBe('kept');
    expect(await readFile(join(world.berth.rootDir, 'volumes/notes/_data/file'), 'utf8')).toBe('kept\n');
  });

  it('fills a new volume with what the image has at the mount path, as docker does, and leaves a volume with data alone', async () => {
    const imageUsr = (await runRm(image, 'ls', '/usr')).stdout;
    expect(imageUsr).not.toBe('');
    const copied = await runRm('-v', 'usr-copy:/usr', image, 'ls', '/usr');
    expect(copied.stdout, copied.stderr).toBe(imageUsr);
    expect((await stat(join(world.berth.rootDir, 'volumes/usr-copy/_data/bin'))).isDirectory()).toBe(true);
    const kept = await runRm('-v', 'notes:/usr', image, 'ls', '/usr');
    expect(kept.stdout, kept.stderr).toBe('file');
  });

  it('mounts a volume read-only with :ro', async () => {
    const result = await runRm('-v', 'notes:/data:ro', image, 'sh', '-c', 'echo no > /data/other');
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(/Read-only file system/);
  });

  it('removes the anonymous volume of `run --rm -v /path` with the container', async () => {
    const before = await names();
    const result = await runRm('-v', '/scratch', image, 'sh', '-c', 'echo hi > /scratch/x && cat /scratch/x');
    expect(result.stdout, result.stderr).toBe('hi');
    expect(await names()).toEqual(before);
  });
});

describe('berth volume rm / prune', () => {
  it('refuses to remove a volume an exited container still has, and removes it once the container is gone', async () => {
    const id = await runDetached('--name', 'holder', '-v', 'held:/held', image, 'true');
    const refused = await berth('volume', 'rm', 'held');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`Error response from daemon: remove held: volume is in use - \\[${id}\\]`));
    expect(await names()).toContain('held');
    expect((await berth('rm', '-f', 'holder')).exitCode).toBe(0);
    const removed = await berth('volume', 'rm', 'held');
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('held');
    await expect(stat(join(world.berth.rootDir, 'volumes/held'))).rejects.toThrow(/ENOENT/);
  });

  it('says no such volume, except with -f', async () => {
    const missing = await berth('volume', 'rm', 'never-made');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/no such volume: never-made/);
    expect((await berth('volume', 'rm', '-f', 'never-made')).exitCode).toBe(0);
  });

  it('prunes the unused anonymous volumes, then with -a every unused one; a used one stays', async () => {
    await runDetached('--name', 'anon-user', '-v', '/anon', image, 'true');
    await runDetached('--name', 'pinned', '-v', 'pinned-data:/p', image, 'sleep', '300');
    expect((await berth('rm', '-f', 'anon-user')).exitCode).toBe(0);
    const anonymous = (await berth('volume', 'ls', '-q', '--filter', 'label=com.docker.volume.anonymous')).stdout.split('\n').filter(Boolean);
    expect(anonymous).toHaveLength(1);
    const pruned = await berth('volume', 'prune', '-f');
    expect(pruned.exitCode, pruned.stderr).toBe(0);
    expect(pruned.stdout).toBe(`Deleted Volumes:\n${anonymous[0]}\n\nTotal reclaimed space: 0B`);
    expect(await names()).toEqual(expect.arrayContaining(['site-data', 'notes', 'pinned-data']));
    const all = await berth('volume', 'prune', '-a', '-f');
    expect(all.stdout).toMatch(/^Deleted Volumes:\n/);
    expect(await names()).toEqual(['pinned-data']);
  });

  it('asks before pruning and stops on anything but yes', async () => {
    const result = await world.cliWithInput('n\n', 'volume', 'prune');
    expect(result.stdout).toMatch(/WARNING! This will remove anonymous local volumes not used by at least one container\.\nAre you sure you want to continue\? \[y\/N\]/);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/volume prune has been cancelled/);
  });
});

describe('hostile volume names and paths', () => {
  const cases: [string, string[], RegExp][] = [
    ['a name climbing out of the volumes dir', ['volume', 'create', '../escape'], /volume name "..\/escape" includes invalid characters/],
    ['a name with a slash', ['volume', 'create', 'a/b'], /volume name "a\/b" includes invalid characters/],
    ['a one-character name', ['volume', 'create', 'x'], /volume name "x" is too short/],
    ['a driver berth lacks', ['volume', 'create', '-d', 'nfs', 'remote'], /berth has only the "local" driver/],
    ['a driver option', ['volume', 'create', '-o', 'type=tmpfs', 'tmp-vol'], /takes none/],
    ['inspect of a path', ['volume', 'inspect', '../../etc'], /volume name "..\/..\/etc" includes invalid characters/],
    ['rm of a path', ['volume', 'rm', '..'], /volume name ".." includes invalid characters/],
    ['run -v with a relative path as a name', ['run', '--rm', '-v', '../etc:/x', image, 'true'], /volume name "..\/etc" includes invalid characters/],
  ];
  it.each(cases)('refuses %s', async (_, args, message) => {
    const before = await names();
    const result = await berth(...args);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(await names()).toEqual(before);
  });

  it("refuses a bind mount of the volume store itself or a volume's record: only a volume's data may be mounted", async () => {
    for (const path of [join(world.berth.rootDir, 'volumes'), join(world.berth.rootDir, 'volumes/pinned-data'), join(world.berth.rootDir, 'volumes/pinned-data/volume.json')]) {
      const result = await runRm('-v', `${path}:/x`, image, 'true');
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/is berth's volume store; mount a volume's data/);
    }
    const data = await runRm('-v', `${join(world.berth.rootDir, 'volumes/pinned-data/_data')}:/x`, image, 'true');
    expect(data.exitCode, data.stderr).toBe(0);
  });
});

/** The members of a tar held in memory, by name. */
async function tarMembers(tar: Buffer): Promise<Map<string, { type: string; body: Buffer }>> {
  const members = new Map<string, { type: string; body: Buffer }>();
  const entries = extract();
  const reading = (async () => {
    for await (const entry of entries) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      members.set(entry.header.name, { type: entry.header.type ?? 'file', body: Buffer.concat(chunks) });
    }
  })();
  entries.end(tar);
  await reading;
  return members;
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('berth commit', () => {
  it("makes an image of a container's changes that berth run runs: additions, a deletion, an opaque directory, the -c CMD", async () => {
    await runDetached(
      '--name',
      'changer',
      '-e',
      'GREETING=hello',
      '-w',
      '/srv',
      image,
      'sh',
      '-c',
      'echo added > /added && rm /etc/berth-image && rm -rf /usr && mkdir -p /usr/only && exec sleep 300',
    );
    await eventually(async () => ((await berth('exec', 'changer', 'ls', '/usr')).stdout === 'only' ? true : undefined));
    const committed = await berth(
      'commit',
      '-c',
      'CMD ["sh", "-c", "cat /added; echo $GREETING; pwd; ls /usr; test -e /etc/berth-image || echo gone"]',
      '-m',
      'my change',
      '-a',
      'Tester <t@example.com>',
      'changer',
      'berth.local/committed:v1',
    );
    expect(committed.exitCode, committed.stderr).toBe(0);
    expect(committed.stdout).toMatch(/^sha256:[a-f0-9]{64}$/);
    const ran = await runRm('berth.local/committed:v1');
    expect(ran.stdout, ran.stderr).toBe('added\nhello\n/srv\nonly\ngone');
  });

  it('records the message, the author and the command in the history, newest first', async () => {
    const history = await berth('history', '--no-trunc', 'berth.local/committed:v1');
    expect(history.exitCode, history.stderr).toBe(0);
    const [header, newest] = history.stdout.split('\n');
    expect(header).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    expect(newest).toMatch(/sh -c echo added > \/added .*my change$/);
  });

  it('stores the new layer gzipped with OCI whiteouts, its digest and diff_id those of its bytes', async () => {
    const saved = await execa(process.execPath, [world.berthBin(), 'save', 'berth.local/committed:v1'], { ...world.options(), encoding: 'buffer', stdin: 'ignore' });
    expect(saved.exitCode).toBe(0);
    const archive = await tarMembers(Buffer.from(saved.stdout));
    const [entry] = JSON.parse(archive.get('manifest.json')?.body.toString() ?? '[]') as { Config: string; Layers: string[] }[];
    const config = JSON.parse(archive.get(entry?.Config ?? '')?.body.toString() ?? '{}') as { rootfs: { diff_ids: string[] }; author: string };
    expect(config.author).toBe('Tester <t@example.com>');
    const layerPath = entry?.Layers.at(-1) ?? '';
    const blob = archive.get(layerPath)?.body ?? Buffer.alloc(0);
    expect(`sha256:${layerPath.split('/').pop()}`).toBe(sha256(blob));
    const tar = gunzipSync(blob);
    expect(config.rootfs.diff_ids.at(-1)).toBe(sha256(tar));
    const layer = await tarMembers(tar);
    expect(layer.get('added')?.body.toString()).toBe('added\n');
    expect(layer.has('etc/.wh.berth-image')).toBe(true);
    expect(layer.has('usr/.wh..wh..opq')).toBe(true);
    expect(layer.has('usr/only/')).toBe(true);
  });

  it('refuses a bad reference, a bad change and an unknown container, making no image', async () => {
    const before = (await berth('images')).stdout;
    const cases: [string[], RegExp][] = [
      [['commit', 'changer', 'Bad/UPPER'], /Bad\/UPPER/],
      [['commit', '-c', 'RUN rm -rf /', 'changer'], /change "RUN rm -rf \/": expected one of CMD/],
      [['commit', 'no-such-container'], /no such container: no-such-container/],
    ];
    for (const [args, message] of cases) {
      const result = await berth(...args);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(message);
    }
    expect((await berth('images')).stdout).toBe(before);
    expect((await berth('rm', '-f', 'changer')).exitCode).toBe(0);
  });
});
