// The pure decisions behind docker's image commands: what rmi untags and deletes, what history
// shows, what import's -c changes make of a config.
import { describe, expect, it } from 'vitest';
import { applyChanges, flatImageConfig } from '../../../runtime/images/flat-import.js';
import { imageHistory } from '../../../runtime/images/image-history.js';
import { planRemoval, type ImageUser } from '../../../runtime/images/image-removal.js';
import type { ImageRecord } from '../../../runtime/images/image-store.js';

const id = `sha256:${'ab'.repeat(32)}` as const;
const digestName = `docker.io/library/busybox@sha256:${'cd'.repeat(32)}`;

function record(repoTags: string[], history?: ImageRecord['config']['history']): ImageRecord {
  return {
    version: 1,
    id,
    repoTags,
    repoDigests: [digestName],
    size: 0,
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, ...(history && { history }) },
    manifestDigest: `sha256:${'ef'.repeat(32)}`,
    manifestMediaType: '',
    layers: [
      { mediaType: 'x', digest: `sha256:${'01'.repeat(32)}`, size: 100 },
      { mediaType: 'x', digest: `sha256:${'02'.repeat(32)}`, size: 200 },
    ],
    diffIds: [],
    pinned: false,
    createdAt: '',
    updatedAt: '',
  };
}

const stopped: ImageUser = { containerId: '1234567890abcdef', running: false };
const running: ImageUser = { containerId: 'fedcba0987654321', running: true };
const both = ['docker.io/library/busybox:latest', 'docker.io/library/busybox:1'];

describe('planRemoval (docker rmi)', () => {
  it.each<[string, string[], string, boolean, ImageUser[], { untag: string[]; deleteImage: boolean }]>([
    ['one of two tags: untag it only', both, 'busybox:1', false, [], { untag: ['docker.io/library/busybox:1'], deleteImage: false }],
    ['one of two tags, even with a container on the image', both, 'busybox:1', false, [running], { untag: ['docker.io/library/busybox:1'], deleteImage: false }],
    ['the last tag: untag every name, delete', [both[0] ?? ''], 'busybox', false, [], { untag: [both[0] ?? '', digestName], deleteImage: true }],
    ['by id with one tag: delete', [both[0] ?? ''], 'abababababab', false, [], { untag: [both[0] ?? '', digestName], deleteImage: true }],
    ['by id with two tags and -f: delete', both, id, true, [], { untag: [...both, digestName], deleteImage: true }],
    ['a stopped container with -f: delete', [both[0] ?? ''], 'busybox', true, [stopped], { untag: [both[0] ?? '', digestName], deleteImage: true }],
    ['a running container with -f by name: untag, keep', [both[0] ?? ''], 'busybox', true, [running], { untag: [both[0] ?? '', digestName], deleteImage: false }],
  ])('%s', (_name, tags, ref, force, users, expected) => {
    expect(planRemoval(record(tags), ref, force, users)).toEqual(expected);
  });

  it.each<[string, string[], string, boolean, ImageUser[], RegExp]>([
    ['by id with two tags', both, 'ababab', false, [], /unable to delete abababababab \(must be forced\) - image is referenced in multiple repositories/],
    [
      'the last tag of an image a container uses',
      [both[0] ?? ''],
      'busybox',
      false,
      [stopped],
      /unable to remove repository reference "busybox" \(must force\) - container 1234567890ab is using its referenced image abababababab/,
    ],
    ['by id, a stopped container', [], id, false, [stopped], /image is being used by stopped container 1234567890ab/],
    ['by id, a running container, even with -f', [], id, true, [running], /\(cannot be forced\) - image is being used by running container fedcba098765/],
  ])('refuses %s', (_name, tags, ref, force, users, expected) => {
    expect(() => planRemoval(record(tags), ref, force, users)).toThrow(expected);
  });
});

describe('imageHistory (docker history)', () => {
  it('lists newest first, pairs non-empty entries with layers, puts the id and tags on the top', () => {
    const lines = imageHistory(
      record(
        ['docker.io/library/busybox:latest'],
        [
          { created: '2024-01-01T00:00:00Z', created_by: 'ADD rootfs.tar /' },
          { created: '2024-01-02T00:00:00Z', created_by: 'ENV A=1', empty_layer: true },
          { created: '2024-01-03T00:00:00Z', created_by: 'RUN touch /x', comment: 'c' },
        ],
      ),
    );
    expect(lines.map((line) => [line.id, line.createdBy, line.size, line.emptyLayer])).toEqual([
      [id, 'RUN touch /x', 200, false],
      ['', 'ENV A=1', 0, true],
      ['', 'ADD rootfs.tar /', 100, false],
    ]);
    expect(lines[0]?.tags).toEqual(['docker.io/library/busybox:latest']);
  });

  it('shows one entry per layer for an image without history', () => {
    expect(imageHistory(record([])).map((line) => line.size)).toEqual([200, 100]);
  });
});

describe('applyChanges (import -c)', () => {
  it.each<[string, string[], object]>([
    ['CMD exec form', ['CMD ["/bin/sh", "-c", "echo hi"]'], { Cmd: ['/bin/sh', '-c', 'echo hi'] }],
    ['CMD shell form', ['CMD echo hi'], { Cmd: ['/bin/sh', '-c', 'echo hi'] }],
    ['ENTRYPOINT', ['ENTRYPOINT ["/init"]'], { Entrypoint: ['/init'] }],
    ['ENV pairs, quoted, replacing', ['ENV A=1 B="two words"', 'ENV A=3'], { Env: ['B=two words', 'A=3'] }],
    ['ENV legacy form', ['ENV PATH /usr/bin:/bin'], { Env: ['PATH=/usr/bin:/bin'] }],
    ['EXPOSE', ['EXPOSE 80 53/udp'], { ExposedPorts: { '80/tcp': {}, '53/udp': {} } }],
    ['LABEL', ['LABEL a=b'], { Labels: { a: 'b' } }],
    ['USER, WORKDIR, STOPSIGNAL', ['user 1000:1000', 'WORKDIR /srv', 'STOPSIGNAL SIGINT'], { User: '1000:1000', WorkingDir: '/srv', StopSignal: 'SIGINT' }],
    ['VOLUME', ['VOLUME ["/data", "/logs"]'], { Volumes: { '/data': {}, '/logs': {} } }],
  ])('%s', (_name, changes, expected) => {
    expect(applyChanges({}, changes)).toEqual(expected);
  });

  it.each([
    ['an unknown instruction', 'RUN rm -rf /', /expected one of CMD/],
    ['an instruction without value', 'CMD', /expected one of CMD/],
    ['a broken exec form', 'CMD ["sh"', /JSON array of strings/],
    ['a bad port', 'EXPOSE http', /PORT\[\/PROTOCOL\]/],
  ])('refuses %s', (_name, change, expected) => {
    expect(() => applyChanges({}, [change])).toThrow(expected);
  });

  it("writes docker's history comment for an import", () => {
    const config = flatImageConfig(id, { changes: ['CMD ["sh"]'], source: '-', now: new Date('2024-01-01T00:00:00Z') });
    expect(config.history).toEqual([{ created: '2024-01-01T00:00:00.000Z', created_by: '', comment: 'Imported from -' }]);
    expect(config.rootfs.diff_ids).toEqual([id]);
    expect(config.config?.Cmd).toEqual(['sh']);
    expect(flatImageConfig(id, { changes: [], source: '-', message: 'mine', now: new Date() }).history?.[0]?.comment).toBe('mine');
  });
});
