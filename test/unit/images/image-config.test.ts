// What an image config may ask of a container, checked at pull: a table of configs, each refused
// with a message naming the field (or accepted).
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../common/errors.js';
import { parseImageConfig } from '../../../runtime/images/manifest.js';

const diffId = `sha256:${'a'.repeat(64)}`;

function configBytes(run: unknown, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: run, rootfs: { type: 'layers', diff_ids: [diffId] }, ...extra }));
}

const refused: [string, unknown, RegExp][] = [
  ['Env that is not a list', { Env: 'PATH=/bin' }, /config\.Env is not a list of strings/],
  ['an Env entry that is not a string', { Env: ['A=1', 7] }, /config\.Env\[1\] is not a string/],
  ['an Env entry with a NUL', { Env: ['A=1\0B=2'] }, /config\.Env\[0\] contains a NUL byte/],
  ['an Env entry over 128 KiB', { Env: [`A=${'x'.repeat(128 * 1024)}`] }, /config\.Env\[0\] is 131074 bytes, over the 131072-byte limit/],
  ['a million Env entries', { Env: Array.from({ length: 1_000_000 }, () => 'A=1') }, /config\.Env has 1000000 entries/],
  [
    'Env and Cmd together over ARG_MAX',
    { Env: Array.from({ length: 15 }, () => 'x'.repeat(100_000)), Cmd: Array.from({ length: 10 }, () => 'y'.repeat(100_000)) },
    /config\.Cmd has 10 entries, which bring the command and environment to over the 2097152 bytes execve accepts/,
  ],
  ['an Entrypoint of lists', { Entrypoint: [['/bin/sh']] }, /config\.Entrypoint\[0\] is not a string/],
  ['a WorkingDir that is not a string', { WorkingDir: 42 }, /config\.WorkingDir is not a string/],
  ['a User over 4096 bytes', { User: 'u'.repeat(5000) }, /config\.User is longer than 4096 bytes/],
  ['Labels with a non-string value', { Labels: { a: { b: 1 } } }, /config\.Labels\["a"\] is not a string/],
  ['Volumes as a list', { Volumes: ['/data'] }, /config\.Volumes is not an object of paths/],
  ['a relative volume path', { Volumes: { data: {} } }, /config\.Volumes path "data" is not absolute/],
  ['a volume path with ..', { Volumes: { '/data/../../etc': {} } }, /config\.Volumes path "\/data\/\.\.\/\.\.\/etc" has a "\.\." component/],
  ['a volume path with a NUL', { Volumes: { '/da\0ta': {} } }, /contains a NUL byte/],
  ['2000 volumes', { Volumes: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`/v${i}`, {}])) }, /lists 2000 volumes, more than the 1024 allowed/],
  ['a config that is a list', ['Env'], /config is not an object/],
];

describe('image config checks', () => {
  it.each(refused)('refuses %s', (_name, run, message) => {
    expect(() => parseImageConfig(configBytes(run), 'config', 1)).toThrow(InvalidArgumentError);
    expect(() => parseImageConfig(configBytes(run), 'config', 1)).toThrow(message);
  });

  it('refuses an os that is not a string', () => {
    expect(() => parseImageConfig(configBytes({}, { os: ['linux'] }), 'config', 1)).toThrow(/config os is not a string/);
  });

  it('accepts an ordinary config, nulls included', () => {
    const run = {
      Env: ['PATH=/usr/bin:/bin', 'EMPTY='],
      Entrypoint: null,
      Cmd: ['sh', '-c', 'echo hi'],
      Volumes: { '/data': {}, '/var/lib/x/': {} },
      WorkingDir: '/srv',
      User: '1000:1000',
      Labels: { a: 'b' },
    };
    expect(parseImageConfig(configBytes(run), 'config', 1).config?.Cmd).toEqual(['sh', '-c', 'echo hi']);
    expect(parseImageConfig(configBytes(null), 'config', 1).rootfs.diff_ids).toEqual([diffId]);
  });
});
