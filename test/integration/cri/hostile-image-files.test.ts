// Images whose /etc/passwd or /etc/group try to make berth read something else on the host: a
// host file naming a user of its own, /dev/zero, a FIFO, a climb out with "..", a file far over
// any real size. Each image is built here (the seeded busybox plus one hostile layer), pushed to a
// registry of this file's own and pulled through the CRI; each CreateContainer must fail with
// InvalidArgument naming the file (or resolve the link inside the image), quickly, with berth
// alive and its memory where it was. A link that stays inside the image still works.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriClient, CriCallError } from '../../../cri/client/cri-client.js';
import type { ContainerConfig, PodSandboxConfig } from '../../../api/cri/messages.js';
import { berthFixture } from '../../harness/berth-fixture.js';
import { requireRoot } from '../../harness/root.js';
import { writableRegistryFixture } from '../../harness/writable-registry-fixture.js';
import { pushImage, tarLayer } from '../images/push.js';
import { seededImageLayers } from '../images/seeded-layers.js';
import type { TarEntry } from '../snapshots/tar-fixtures.js';

requireRoot('integration');

const work = mkdtempSync(join(tmpdir(), 'berth-hostile-etc-'));
/** A host file naming a user the image does not have: reading it would give the container uid 4242. */
const hostPasswd = join(work, 'host-passwd');
const MiB = 1024 * 1024;
const pod: PodSandboxConfig = { metadata: { name: 'hostile-etc', namespace: 'default', uid: 'hostile-etc-uid', attempt: 0 } };

let client: CriClient;
let podId = '';

const dirs: TarEntry[] = [
  { name: 'etc/', type: 'directory', mode: 0o755 },
  { name: 'dev/', type: 'directory', mode: 0o755 },
];
const devZero: TarEntry = { name: 'dev/zero', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 5 };

interface HostileCase {
  name: string;
  layer: TarEntry[];
  user: Pick<NonNullable<NonNullable<ContainerConfig['linux']>['securityContext']>, 'runAsUsername' | 'runAsUser'>;
  refusal: RegExp;
}

const hostileCases: HostileCase[] = [
  {
    name: 'etc/passwd → a host file with a user of its own (absolute link)',
    layer: [...dirs, { name: 'etc/passwd', type: 'symlink', linkname: hostPasswd }],
    user: { runAsUsername: 'berthhostonly' },
    // resolved inside the image, where that path does not exist
    refusal: /user "berthhostonly" cannot be resolved: the image has no \/etc\/passwd/,
  },
  {
    name: 'etc/passwd → a host file through ../ past the rootfs',
    layer: [...dirs, { name: 'etc/passwd', type: 'symlink', linkname: `${'../'.repeat(24)}${hostPasswd.slice(1)}` }],
    user: { runAsUsername: 'berthhostonly' },
    refusal: /user "berthhostonly" cannot be resolved: the image has no \/etc\/passwd/,
  },
  {
    name: 'etc/passwd → ../../../../etc/passwd',
    layer: [...dirs, { name: 'etc/passwd', type: 'symlink', linkname: '../../../../etc/passwd' }],
    user: { runAsUsername: 'root' },
    refusal: /refusing to read \/etc\/passwd in image .*: resolving .* followed more than 255 symlinks/,
  },
  {
    name: 'etc/passwd → /dev/zero, which the image lacks',
    layer: [...dirs, { name: 'etc/passwd', type: 'symlink', linkname: '/dev/zero' }],
    user: { runAsUsername: 'root' },
    refusal: /user "root" cannot be resolved: the image has no \/etc\/passwd/,
  },
  {
    name: 'etc/passwd → /dev/zero, a character device the image ships',
    layer: [...dirs, devZero, { name: 'etc/passwd', type: 'symlink', linkname: '/dev/zero' }],
    user: { runAsUsername: 'root' },
    refusal: /refusing to read \/etc\/passwd in image .*: it is a character device, not a regular file/,
  },
  {
    name: 'etc/passwd is a FIFO',
    layer: [...dirs, { name: 'etc/passwd', type: 'fifo', mode: 0o644 }],
    user: { runAsUsername: 'root' },
    refusal: /refusing to read \/etc\/passwd in image .*: it is a FIFO, not a regular file/,
  },
  {
    name: 'etc/passwd is a directory',
    layer: [...dirs, { name: 'etc/passwd/', type: 'directory', mode: 0o755 }],
    user: { runAsUsername: 'root' },
    refusal: /refusing to read \/etc\/passwd in image .*: it is a directory, not a regular file/,
  },
  {
    name: 'etc/passwd of 5 MiB',
    layer: [...dirs, { name: 'etc/passwd', type: 'file', mode: 0o644, content: Buffer.alloc(5 * MiB, 'x:x:1:1::/:/bin/sh\n') }],
    user: { runAsUsername: 'root' },
    refusal: /refusing to read \/etc\/passwd in image .*: it has 5242880 bytes, more than the 4194304 accepted/,
  },
  {
    name: 'etc/group → /dev/zero, a character device the image ships (numeric user)',
    layer: [...dirs, devZero, { name: 'etc/group', type: 'symlink', linkname: '/dev/zero' }],
    user: { runAsUser: { value: '1000' } },
    refusal: /refusing to read \/etc\/group in image .*: it is a character device, not a regular file/,
  },
  {
    name: 'etc/group is a FIFO (numeric user)',
    layer: [...dirs, { name: 'etc/group', type: 'fifo', mode: 0o644 }],
    user: { runAsUser: { value: '0' } },
    refusal: /refusing to read \/etc\/group in image .*: it is a FIFO, not a regular file/,
  },
];

const tagOf = (index: number): string => `case-${index}`;
const imageOf = (tag: string): string => `${own.registry.host}/hostile/etc-files:${tag}`;

/** The process's peak resident memory (VmHWM): a read that grew it and was collected since still shows. */
function peakRssBytes(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`no VmHWM for ${pid}`);
  return Number(match[1]) * 1024;
}

// Before berthFixture: the registry is up when berth starts, and stops after it.
const own = writableRegistryFixture(async (registry) => {
  writeFileSync(hostPasswd, 'berthhostonly:x:4242:4242::/:/bin/sh\n');
  const base = await seededImageLayers();
  const push = async (tag: string, layer: TarEntry[]) => pushImage(registry.url, 'hostile/etc-files', tag, { layers: [...base, await tarLayer(layer)] });
  for (const [index, { layer }] of hostileCases.entries()) await push(tagOf(index), layer);
  await push('inside-link', [
    ...dirs,
    { name: 'usr/share/berth/', type: 'directory', mode: 0o755 },
    { name: 'usr/share/berth/passwd', type: 'file', mode: 0o644, content: 'inside:x:7777:7778::/:/bin/sh\n' },
    { name: 'etc/passwd', type: 'symlink', linkname: '../usr/share/berth/passwd' },
  ]);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

const fixture = berthFixture('hostile-etc', 150, undefined, () => ['--insecure-registry', own.registry.host]);

beforeAll(async () => {
  client = new CriClient({ endpoint: fixture.berth.socket });
  for (const index of hostileCases.keys()) await client.pullImage(imageOf(tagOf(index)));
  await client.pullImage(imageOf('inside-link'));
  podId = (await client.runPodSandbox(pod)).podSandboxId;
}, 240_000);

afterAll(() => client?.close());

function create(name: string, image: string, user: HostileCase['user']): Promise<string> {
  const config: ContainerConfig = {
    metadata: { name },
    image: { image },
    command: ['/bin/sh', '-c', 'id'],
    linux: { securityContext: user },
  };
  return client.createContainer(podId, config, pod).then((r) => r.containerId);
}

describe('host-side reads of /etc/passwd and /etc/group from hostile images', () => {
  const rssBefore: number[] = [];

  hostileCases.forEach(({ name, user, refusal }, index) => {
    it(`refuses ${name} with InvalidArgument, quickly, berth alive`, async () => {
      if (rssBefore.length === 0) rssBefore.push(peakRssBytes(fixture.berth.pid));
      const started = performance.now();
      const error = await create(`hostile-${index}`, imageOf(tagOf(index)), user).then(
        (id) => new Error(`created container ${id}`),
        (e: unknown) => e,
      );
      const elapsedMs = performance.now() - started;
      expect(error).toBeInstanceOf(CriCallError);
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((error as Error).message).toMatch(refusal);
      expect(elapsedMs).toBeLessThan(10_000);
      // alive, answering, and nothing half-made left behind
      expect((await client.version()).runtimeName).toBe('berth');
      expect((await client.listContainers()).containers).toEqual([]);
      console.info(`${name}: ${Math.round(elapsedMs)} ms, peak RSS ${Math.round(peakRssBytes(fixture.berth.pid) / MiB)} MiB`);
    });
  });

  it('kept its peak memory through every hostile image (no /dev/zero or huge file read into it)', () => {
    const [before] = rssBefore;
    if (before === undefined) throw new Error('no hostile case ran');
    expect(peakRssBytes(fixture.berth.pid) - before).toBeLessThan(64 * MiB);
  });

  it("follows a link that stays inside the image: the user comes from the image's own file", async () => {
    const id = await create('inside-link', imageOf('inside-link'), { runAsUsername: 'inside' });
    const spec = JSON.parse(readFileSync(join(fixture.berth.stateDir, 'containers', id, 'config.json'), 'utf8')) as {
      process: { user: { uid: number; gid: number } };
    };
    expect(spec.process.user).toMatchObject({ uid: 7777, gid: 7778 });
  });
});
