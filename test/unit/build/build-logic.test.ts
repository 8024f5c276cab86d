// The pure parts of berth build around the parser: .dockerignore and source patterns, metadata
// instructions applied to a stage, where COPY puts its records, --chown lookups, and the image
// config a build step stores (runtime/images/build-step-image.ts).
import { describe, expect, it } from 'vitest';
import { resolveOwner } from '../../../cli/build/copy-owner.js';
import { placeGroups } from '../../../cli/build/copy-sources.js';
import { parseInstruction } from '../../../cli/build/dockerfile-parser.js';
import { cleanContextPath, IgnoreRules, matchesSource } from '../../../cli/build/path-patterns.js';
import { applyMetadata, inWorkdir, type StageState } from '../../../cli/build/stage-state.js';
import { buildStepConfig, parseStepSettings } from '../../../runtime/images/build-step-image.js';

describe('path patterns', () => {
  it('cleans context paths so none climbs out', () => {
    expect(cleanContextPath('../../etc/passwd')).toBe('etc/passwd');
    expect(cleanContextPath('./src/')).toBe('src');
    expect(cleanContextPath('.')).toBe('');
  });

  it('matches COPY sources as Go filepath.Match does, ** across directories', () => {
    expect(matchesSource('*.conf', 'a.conf')).toBe(true);
    expect(matchesSource('*.conf', 'sub/a.conf')).toBe(false);
    expect(matchesSource('**/*.conf', 'sub/deep/a.conf')).toBe(true);
    expect(matchesSource('file?.txt', 'file1.txt')).toBe(true);
    expect(matchesSource('[ab].txt', 'c.txt')).toBe(false);
  });

  it('excludes what .dockerignore names, directories with their contents, and brings back exceptions', () => {
    const rules = new IgnoreRules('# comment\nnode_modules\n*.log\n!keep.log\nsecrets/\n');
    expect(rules.excludes('node_modules/pkg/index.js')).toBe(true);
    expect(rules.excludes('debug.log')).toBe(true);
    expect(rules.excludes('keep.log')).toBe(false);
    expect(rules.excludes('secrets/key')).toBe(true);
    expect(rules.excludes('src/app.js')).toBe(false);
  });
});

function stage(): StageState {
  return { imageId: 'sha256:base', config: { Env: ['PATH=/bin'] }, pendingHistory: [], author: '', args: new Map(), chain: 'sha256:base', escape: '\\' };
}
const apply = (state: StageState, text: string, given: Record<string, string> = {}) =>
  applyMetadata(state, parseInstruction(1, text), { given: new Map(Object.entries(given)), globals: new Map([['VERSION', '9']]), used: new Set() });

describe('metadata instructions', () => {
  it('applies ENV, ARG, WORKDIR, USER, CMD and ENTRYPOINT with substitution and history as docker writes it', () => {
    const state = stage();
    apply(state, 'ARG NAME=app');
    apply(state, 'ARG VERSION');
    apply(state, 'ENV HOME_DIR=/srv/$NAME V=$VERSION');
    apply(state, 'WORKDIR $HOME_DIR');
    apply(state, 'WORKDIR sub');
    apply(state, 'USER 1000:1000');
    apply(state, 'CMD ["run"]');
    apply(state, 'ENTRYPOINT /bin/start');
    expect(state.config).toMatchObject({ Env: ['PATH=/bin', 'HOME_DIR=/srv/app', 'V=9'], WorkingDir: '/srv/app/sub', User: '1000:1000', Entrypoint: ['/bin/sh', '-c', '/bin/start'], Cmd: null });
    expect(state.pendingHistory.map((entry) => entry.created_by)).toEqual([
      'ARG NAME=app',
      'ARG VERSION',
      'ENV HOME_DIR=/srv/app V=9',
      'WORKDIR /srv/app',
      'WORKDIR /srv/app/sub',
      'USER 1000:1000',
      'CMD ["run"]',
      'ENTRYPOINT ["/bin/sh" "-c" "/bin/start"]',
    ]);
    expect(state.pendingHistory.every((entry) => entry.empty_layer)).toBe(true);
  });

  it('takes a --build-arg over the default, and changes the cache chain with each instruction', () => {
    const state = stage();
    apply(state, 'ARG MODE=debug', { MODE: 'release' });
    expect(state.args.get('MODE')).toBe('release');
    const before = state.chain;
    apply(state, 'SHELL ["/bin/ash", "-eo", "pipefail", "-c"]');
    apply(state, 'CMD echo hi');
    expect(state.chain).not.toBe(before);
    expect(state.config.Cmd).toEqual(['/bin/ash', '-eo', 'pipefail', '-c', 'echo hi']);
  });

  it('stores HEALTHCHECK, STOPSIGNAL, VOLUME, EXPOSE, LABEL and ONBUILD in the config', () => {
    const state = stage();
    apply(state, 'HEALTHCHECK --interval=5s CMD true');
    apply(state, 'STOPSIGNAL SIGQUIT');
    apply(state, 'VOLUME ["/data"]');
    apply(state, 'EXPOSE 80/tcp');
    apply(state, 'LABEL a=b "c d"=e');
    apply(state, 'ONBUILD RUN echo child');
    expect(state.config).toMatchObject({
      Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5e9 },
      StopSignal: 'SIGQUIT',
      Volumes: { '/data': {} },
      ExposedPorts: { '80/tcp': {} },
      Labels: { a: 'b', 'c d': 'e' },
      OnBuild: ['RUN echo child'],
    });
  });

  it('makes paths absolute against WORKDIR, keeping a trailing slash', () => {
    const state = stage();
    state.config.WorkingDir = '/app';
    expect(inWorkdir(state, 'bin/')).toBe('/app/bin/');
    expect(inWorkdir(state, '/etc/x')).toBe('/etc/x');
    expect(inWorkdir(state, '.')).toBe('/app');
  });
});

describe('COPY destinations and owners', () => {
  const file = (name: string) => ({ name, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), content: Buffer.from(name) });

  it("puts a directory's contents below the destination and a file at it, or in it when it is a directory", () => {
    const groups = [
      { kind: 'contents' as const, records: [file('a'), file('sub/b')] },
      { kind: 'single' as const, records: [file('tool')] },
    ];
    expect(placeGroups(groups, '/opt/app/', true).map((record) => record.name)).toEqual(['opt/app/a', 'opt/app/sub/b', 'opt/app/tool']);
    expect(placeGroups([{ kind: 'single', records: [file('tool')] }], '/usr/bin/renamed', false).map((record) => record.name)).toEqual(['usr/bin/renamed']);
  });

  it("resolves --chown names in the image's passwd and group, numbers as given", async () => {
    const files = async () => ({ passwd: 'root:x:0:0::/root:/bin/sh\nweb:x:101:102::/srv:/bin/false\n', group: 'root:x:0:\nstaff:x:50:\n' });
    expect(await resolveOwner('web', files)).toEqual({ uid: 101, gid: 102 });
    expect(await resolveOwner('web:staff', files)).toEqual({ uid: 101, gid: 50 });
    expect(await resolveOwner('1000', files)).toEqual({ uid: 1000, gid: 1000 });
    await expect(resolveOwner('nobody', files)).rejects.toThrow(/no user "nobody" in the image's \/etc\/passwd/);
  });
});

describe('the image config of a build step', () => {
  const parent = { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers' as const, diff_ids: ['sha256:a'] }, history: [{ created_by: 'base' }] };
  const now = new Date('2026-12-07T20:00:00Z');

  it("appends the new layer and history, with the build's run config in whole", () => {
    const { runConfig, history } = parseStepSettings('{"Cmd":["run"]}', '[{"created_by":"ENV A=1","empty_layer":true},{"created_by":"RUN x # buildkit"}]');
    const config = buildStepConfig(parent, 'sha256:b', { runConfig, history, author: '', now });
    expect(config.rootfs.diff_ids).toEqual(['sha256:a', 'sha256:b']);
    expect(config.config).toEqual({ Cmd: ['run'] });
    expect(config.history).toEqual([{ created_by: 'base' }, { created: now.toISOString(), created_by: 'ENV A=1', empty_layer: true }, { created: now.toISOString(), created_by: 'RUN x # buildkit' }]);
  });

  it('refuses a history that does not match the layers', () => {
    expect(() => buildStepConfig(parent, undefined, { runConfig: {}, history: [{ created_by: 'RUN x' }], author: '', now })).toThrow(/mark the metadata steps empty_layer/);
    expect(() => parseStepSettings('[1]', '[]')).toThrow(/must be a JSON object/);
  });
});
