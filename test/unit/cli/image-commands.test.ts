// docker's image commands on the CLI side: the config.json credentials, the printed shapes, and
// the flags each command takes.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { credentialsFor, dockerHubServer, readDockerConfig, registryOfImage, serverKey, withCredentials, writeDockerConfig } from '../../../cli/images/docker-config.js';
import { familiar, formatHistory, loadLines, pruneReport, pushLine, removalLines } from '../../../cli/images/image-output.js';
import { buildProgram, run } from '../../../cli/main.js';

afterEach(() => vi.restoreAllMocks());

describe('docker config.json credentials', () => {
  it.each([
    ['localhost:5000', 'localhost:5000'],
    ['http://127.0.0.1:5000/v2/', '127.0.0.1:5000'],
    ['docker.io', dockerHubServer],
    ['https://index.docker.io/v1/', dockerHubServer],
  ])('stores %s under %s', (server, key) => {
    expect(serverKey(server)).toBe(key);
  });

  it.each([
    ['busybox', 'docker.io'],
    ['library/busybox:1', 'docker.io'],
    ['localhost/x', 'localhost'],
    ['127.0.0.1:5000/x/y:z', '127.0.0.1:5000'],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io'],
  ])("finds %s's registry: %s", (image, host) => {
    expect(registryOfImage(image)).toBe(host);
  });

  it('writes auths as base64 user:pass and finds them under any spelling of the server', () => {
    const config = withCredentials({ credsStore: 'desktop' }, 'http://127.0.0.1:5000', { username: 'u', password: 'p:w' });
    expect(config).toEqual({ credsStore: 'desktop', auths: { '127.0.0.1:5000': { auth: Buffer.from('u:p:w').toString('base64') } } });
    expect(credentialsFor(config, '127.0.0.1:5000')).toEqual({ username: 'u', password: 'p:w' });
    expect(credentialsFor({ auths: { 'https://127.0.0.1:5000': { auth: Buffer.from('a:b').toString('base64') } } }, '127.0.0.1:5000')).toEqual({ username: 'a', password: 'b' });
    expect(credentialsFor(withCredentials(config, '127.0.0.1:5000', undefined), '127.0.0.1:5000')).toBeUndefined();
  });

  it('keeps the file 0600 and reads an absent one as empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-docker-config-'));
    try {
      const path = join(dir, 'sub/config.json');
      expect(await readDockerConfig(path)).toEqual({});
      await writeDockerConfig(withCredentials({}, 'docker.io', { username: 'me', password: 'pw' }), path);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ auths: { [dockerHubServer]: { auth: Buffer.from('me:pw').toString('base64') } } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("docker's output shapes", () => {
  it('names images the familiar way', () => {
    expect(['docker.io/library/busybox:latest', 'docker.io/me/app:1', '127.0.0.1:5000/busybox:x', 'docker.io/library/a/b:1'].map(familiar)).toEqual([
      'busybox:latest',
      'me/app:1',
      '127.0.0.1:5000/busybox:x',
      'library/a/b:1',
    ]);
  });

  it('prints rmi, load, push and prune lines as docker does', () => {
    expect(removalLines({ untagged: ['docker.io/library/busybox:latest'], deleted: ['sha256:ab'] })).toBe('Untagged: busybox:latest\nDeleted: sha256:ab\n');
    expect(
      loadLines([
        { id: 'sha256:ab', repoTags: ['docker.io/library/busybox:latest'] },
        { id: 'sha256:cd', repoTags: [] },
      ]),
    ).toBe('Loaded image: busybox:latest\nLoaded image ID: sha256:cd\n');
    const progress = { repository: '', id: '', status: '', tag: '', digest: '', size: '0' };
    expect(pushLine({ ...progress, repository: 'docker.io/library/busybox' })).toBe('The push refers to repository [docker.io/library/busybox]\n');
    expect(pushLine({ ...progress, id: '0123456789ab', status: 'Pushed' })).toBe('0123456789ab: Pushed\n');
    expect(pushLine({ ...progress, tag: 'latest', digest: 'sha256:ef', size: '527' })).toBe('latest: digest: sha256:ef size: 527\n');
    expect(pruneReport({ untagged: [], deleted: [], reclaimedBytes: '0' })).toBe('Total reclaimed space: 0B\n');
    expect(pruneReport({ untagged: ['docker.io/library/a:1'], deleted: ['sha256:ab'], reclaimedBytes: '1500000' })).toBe(
      'Deleted Images:\nuntagged: a:1\ndeleted: sha256:ab\n\nTotal reclaimed space: 1.5MB\n',
    );
  });

  it('prints history in columns, truncating ids and commands unless --no-trunc', () => {
    const now = Date.parse('2024-01-15T00:00:00Z');
    const entries = [
      { id: `sha256:${'ab'.repeat(32)}`, created: '2024-01-14T00:00:00Z', createdBy: `/bin/sh -c ${'x'.repeat(60)}`, size: '2000', comment: '', emptyLayer: false, tags: [] },
      { id: '', created: '2024-01-01T00:00:00Z', createdBy: 'ENV A=1', size: '0', comment: 'c', emptyLayer: true, tags: [] },
    ];
    const cells = formatHistory(entries, now, { noTrunc: false, quiet: false })
      .trimEnd()
      .split('\n')
      .map((line) => line.split(/ {3,}/).map((cell) => cell.trim()));
    expect(cells).toEqual([
      ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'],
      ['abababababab', '24 hours ago', `/bin/sh -c ${'x'.repeat(33)}…`, '2kB', ''],
      ['<missing>', '2 weeks ago', 'ENV A=1', '0B', 'c'],
    ]);
    expect(formatHistory(entries, now, { noTrunc: true, quiet: true })).toBe(`sha256:${'ab'.repeat(32)}\n<missing>\n`);
  });
});

describe('image command flags', () => {
  it("offers docker's flags on each command", () => {
    const program = buildProgram();
    const flags = (name: string, parent = program) => parent.commands.find((c) => c.name() === name)?.options.map((o) => o.flags.split(',')[0]?.trim());
    expect(flags('rmi')).toEqual(expect.arrayContaining(['-f']));
    expect(flags('history')).toEqual(expect.arrayContaining(['--no-trunc', '-q']));
    expect(flags('save')).toEqual(expect.arrayContaining(['-o']));
    expect(flags('load')).toEqual(expect.arrayContaining(['-i', '-q']));
    expect(flags('import')).toEqual(expect.arrayContaining(['-c', '-m']));
    expect(flags('login')).toEqual(expect.arrayContaining(['-u', '-p', '--password-stdin']));
    expect(flags('tag')).toBeDefined();
    expect(flags('push')).toBeDefined();
    expect(flags('logout')).toBeDefined();
    const image = program.commands.find((c) => c.name() === 'image');
    expect(image && flags('prune', image)).toEqual(expect.arrayContaining(['-a', '-f']));
    // docker's management commands: `docker image rm/tag/...` take the same flags.
    expect(image?.commands.map((c) => c.name()).sort()).toEqual(['history', 'import', 'load', 'prune', 'push', 'rm', 'save', 'tag']);
    expect(image && flags('rm', image)).toEqual(flags('rmi'));
  });

  it('refuses login --password-stdin without a username before asking the runtime', async () => {
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += chunk.toString();
      return true;
    });
    expect(await run(['node', 'berth', 'login', '--password-stdin', '--runtime-endpoint', '/nonexistent.sock', 'localhost:5000'])).toBe(1);
    expect(stderr).toContain('Must provide --username with --password-stdin');
  });
});
