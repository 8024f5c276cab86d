// `berth build` as a user types it: the real `berth` binary against a real `berth runtime` (runc,
// conmon, overlayfs snapshots; RUN steps are containers of the runtime), the test registry's
// busybox as the base. Each image is checked where it counts: it runs, and its layers, read back
// from `berth save` with every digest verified, hold exactly the entries expected (names, kinds,
// modes, owners, link targets, contents, whiteouts).
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the Dockerfiles here use their own ${VARIABLES}
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { cliWorld } from '../../harness/cli-world.js';
import { readSavedImage, type LayerEntry } from './saved-image.js';

const registry = inject('registryHost');
const busybox = `${registry}/busybox:latest`;
const world = cliWorld('build-cli', 193);
const { cli: berth } = world;
const logRoot = () => join(world.work, 'logs');
const build = (...args: string[]) => berth('build', '--log-root', logRoot(), '--progress', 'plain', ...args);
const runRm = (...args: string[]) => berth('run', '--rm', '--log-root', logRoot(), ...args);

/** A context directory with these files (a Dockerfile among them). */
async function context(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(world.work, name);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

async function built(...args: string[]): Promise<string> {
  const result = await build('-q', ...args);
  expect(result.exitCode, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/^sha256:[0-9a-f]{64}$/);
  return result.stdout;
}

async function saved(image: string) {
  const archive = join(world.work, `${image.replace(/[^a-z0-9]/gi, '_')}.tar`);
  const result = await berth('save', '-o', archive, image);
  expect(result.exitCode, result.stderr).toBe(0);
  return readSavedImage(archive, world.work);
}

const entry = (layer: LayerEntry[] | undefined, name: string) => layer?.find((item) => item.name.replace(/\/$/, '') === name);

describe('berth build: a small web server image', () => {
  it("builds with docker's plain progress, tags it, and the image serves its page", async () => {
    const dir = await context('web', {
      Dockerfile: `FROM ${busybox}\nLABEL course=containers\nCOPY --chmod=0644 index.html /www/\nEXPOSE 8080\nWORKDIR /www\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
      'index.html': '<h1>hello from berth build</h1>\n',
    });
    const result = await build('-t', 'course/web:1', '-t', 'course/web:latest', dir);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stderr.split('\n');
    expect(lines).toContain(`#2 [1/2] FROM ${busybox}`);
    expect(lines).toContain('#3 [2/2] COPY --chmod=0644 index.html /www/');
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^#3 DONE \d+\.\d+s$/), expect.stringMatching(/^#4 writing image sha256:[0-9a-f]{64} done$/)]));
    expect(lines).toContain('#4 naming to docker.io/course/web:1 done');
    expect(lines).toContain('#4 naming to docker.io/course/web:latest done');

    const served = await runRm('course/web:1', 'sh', '-c', 'httpd -p 8080 -h /www && sleep 0.5 && wget -qO- http://127.0.0.1:8080/');
    expect(served.stdout, served.stderr).toBe('<h1>hello from berth build</h1>');
  });

  it("writes the config and history as docker's builder does, and the COPY layer holds the page alone", async () => {
    const image = await saved('course/web:1');
    expect(image.config.config).toMatchObject({ Cmd: ['httpd', '-f', '-p', '8080', '-h', '/www'], ExposedPorts: { '8080/tcp': {} }, WorkingDir: '/www', Labels: { course: 'containers' } });
    const history = image.config.history ?? [];
    expect(history.slice(-5).map(({ created_by, empty_layer }) => ({ created_by, empty_layer }))).toEqual([
      { created_by: 'LABEL course=containers', empty_layer: true },
      { created_by: 'COPY index.html /www/ # buildkit', empty_layer: undefined },
      { created_by: 'EXPOSE map[8080/tcp:{}]', empty_layer: true },
      { created_by: 'WORKDIR /www', empty_layer: true },
      { created_by: 'CMD ["httpd" "-f" "-p" "8080" "-h" "/www"]', empty_layer: true },
    ]);
    expect(history.filter((item) => !item.empty_layer)).toHaveLength(image.layers.length);
    const copyLayer = image.layers.at(-1);
    expect(copyLayer?.map((item) => item.name)).toEqual(['www/', 'www/index.html']);
    expect(entry(copyLayer, 'www/index.html')).toMatchObject({ type: 'file', mode: 0o644, uid: 0, gid: 0, content: '<h1>hello from berth build</h1>\n' });
  });
});

describe('berth build: multi-stage, deletions, ONBUILD', () => {
  it('copies an artifact that RUN made in the first stage into the second, and --target stops at the first', async () => {
    const dir = await context('multi', {
      Dockerfile: [
        'ARG BASE',
        'FROM ${BASE} AS build',
        'ARG GREETING=hello',
        'WORKDIR /src',
        'RUN mkdir -p /out && printf "#!/bin/sh\\necho $GREETING from the artifact\\n" > /out/tool && chmod 0750 /out/tool',
        'FROM ${BASE}',
        'COPY --from=build --chown=1000:1000 /out/tool /usr/local/bin/tool',
        'ENTRYPOINT ["/usr/local/bin/tool"]',
        '',
      ].join('\n'),
    });
    await built('--build-arg', `BASE=${busybox}`, '--build-arg', 'GREETING=hi', '-t', 'course/multi', dir);
    const ran = await runRm('course/multi');
    expect(ran.stdout, ran.stderr).toBe('hi from the artifact');
    const image = await saved('course/multi');
    expect(image.config.config?.['Entrypoint']).toEqual(['/usr/local/bin/tool']);
    const layer = image.layers.at(-1);
    expect(entry(layer, 'usr/local/bin/tool')).toMatchObject({ type: 'file', mode: 0o750, uid: 1000, gid: 1000, content: '#!/bin/sh\necho hi from the artifact\n' });

    const first = await built('--build-arg', `BASE=${busybox}`, '--target', 'build', '-t', 'course/multi:build', dir);
    const stage = await saved('course/multi:build');
    expect(stage.config.config?.['WorkingDir']).toBe('/src');
    expect(stage.config.history?.at(-1)?.created_by).toBe(
      'RUN |1 GREETING=hello /bin/sh -c mkdir -p /out && printf "#!/bin/sh\\necho $GREETING from the artifact\\n" > /out/tool && chmod 0750 /out/tool # buildkit',
    );
    expect(first).not.toBe('');
  });

  it("deletes files of its parent with whiteouts in the RUN's layer", async () => {
    const dir = await context('delete', {
      Dockerfile: `FROM ${busybox}\nRUN mkdir -p /data/sub /data/old/deep && echo kept > /data/keep && echo gone > /data/sub/gone && echo old > /data/old/deep/file\nRUN rm /bin/dmesg /data/sub/gone && rm -r /data/old\n`,
    });
    await built('-t', 'course/delete', dir);
    const image = await saved('course/delete');
    const deletion = image.layers.at(-1) ?? [];
    expect(entry(deletion, 'bin/.wh.dmesg')).toMatchObject({ type: 'file', content: '' });
    expect(entry(deletion, 'data/sub/.wh.gone')).toBeDefined();
    expect(entry(deletion, 'data/.wh.old')).toBeDefined();
    expect(deletion.some((item) => item.name.startsWith('data/old/'))).toBe(false);
    expect(deletion.filter((item) => !item.name.includes('.wh.')).map((item) => item.name.replace(/\/$/, ''))).toEqual(expect.arrayContaining(['bin', 'data', 'data/sub']));
    const ran = await runRm('course/delete', 'sh', '-c', 'test ! -e /bin/dmesg && test ! -e /data/old && test ! -e /data/sub/gone && cat /data/keep');
    expect(ran.stdout, ran.stderr).toBe('kept');
  });

  it('runs the ONBUILD triggers of a base image in the image built on it, and not again below that', async () => {
    const base = await context('onbuild-base', { Dockerfile: `FROM ${busybox}\nONBUILD COPY marker /marker\nONBUILD RUN echo triggered >> /log\n` });
    await built('-t', 'course/onbuild-base', base);
    expect((await saved('course/onbuild-base')).config.config?.['OnBuild']).toEqual(['COPY marker /marker', 'RUN echo triggered >> /log']);
    const child = await context('onbuild-child', { Dockerfile: 'FROM course/onbuild-base\nRUN echo child >> /log\n', marker: 'from the child context\n' });
    await built('-t', 'course/onbuild-child', child);
    const ran = await runRm('course/onbuild-child', 'sh', '-c', 'cat /marker /log');
    expect(ran.stdout, ran.stderr).toBe('from the child context\ntriggered\nchild');
    expect((await saved('course/onbuild-child')).config.config?.['OnBuild']).toBeNull();
  });

  it('unpacks a local tarball with ADD and copies wildcard matches, leaving out what .dockerignore excludes', async () => {
    const dir = await context('add', {
      Dockerfile: `FROM ${busybox}\nADD bundle.tar /opt/\nCOPY *.conf /etc/app/\n`,
      'a.conf': 'a\n',
      'b.conf': 'b\n',
      'secret.conf': 'never\n',
      '.dockerignore': 'secret.conf\n',
      'bundle/inner/file.txt': 'inside the tarball\n',
    });
    const { execa } = await import('execa');
    await execa('tar', ['-cf', join(dir, 'bundle.tar'), '--owner=0', '--group=0', '-C', join(dir, 'bundle'), 'inner']);
    await built('-t', 'course/add', dir);
    const ran = await runRm('course/add', 'sh', '-c', 'cat /opt/inner/file.txt && ls /etc/app');
    expect(ran.stdout, ran.stderr).toBe('inside the tarball\na.conf\nb.conf');
  });
});

describe('berth build: the cache', () => {
  const dockerfile = `FROM ${busybox}\nENV STAGE=one\nRUN echo built > /built\nCOPY app.txt /app/\nRUN cat /app/app.txt > /app/copy\nCMD ["cat", "/app/copy"]\n`;

  it('hits the cache for every step of an unchanged rebuild, giving the same image', async () => {
    const dir = await context('cache', { Dockerfile: dockerfile, 'app.txt': 'version 1\n' });
    const first = await built('-t', 'course/cache', dir);
    const started = performance.now();
    const again = await build('-t', 'course/cache', dir);
    const seconds = (performance.now() - started) / 1000;
    expect(again.exitCode, again.stderr).toBe(0);
    // Reported, not asserted: the timing depends on the machine.
    console.log(`cached rebuild of a 5-instruction Dockerfile (3 steps): ${seconds.toFixed(2)} s, CLI start included`);
    expect(again.stderr.match(/^#\d+ CACHED$/gm)).toHaveLength(3);
    expect(again.stderr).toContain(`writing image ${first} done`);
  });

  it('misses from the COPY on when a context file changes, and --no-cache runs every step', async () => {
    const dir = join(world.work, 'cache');
    const before = await built('-t', 'course/cache', dir);
    await writeFile(join(dir, 'app.txt'), 'version 2\n');
    const changed = await build('-t', 'course/cache', dir);
    expect(changed.exitCode, changed.stderr).toBe(0);
    expect(changed.stderr).toMatch(/#3 \[2\/4\] RUN echo built > \/built\n#3 CACHED/);
    expect(changed.stderr).toMatch(/#4 \[3\/4\] COPY app.txt \/app\/\n#4 DONE/);
    expect(changed.stderr).toMatch(/#5 \[4\/4\] RUN cat \/app\/app.txt > \/app\/copy\n#5 DONE/);
    expect(changed.stderr).not.toContain(`writing image ${before} done`);
    expect((await runRm('course/cache')).stdout).toBe('version 2');
    const uncached = await build('--no-cache', '-t', 'course/cache', dir);
    expect(uncached.exitCode, uncached.stderr).toBe(0);
    expect(uncached.stderr).not.toContain('CACHED');
  });
});

describe('berth build: failures and breakouts', () => {
  it("fails on a RUN that exits non-zero with docker's message, the command's output and the exit code", async () => {
    const dir = await context('fails', { Dockerfile: `FROM ${busybox}\nRUN echo about to fail && exit 3\nRUN echo never\n` });
    const result = await build('-t', 'course/fails', dir);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^#3 \d+\.\d+ about to fail$/m);
    expect(result.stderr).toContain('ERROR: process "/bin/sh -c echo about to fail && exit 3" did not complete successfully: exit code: 3');
    expect(result.stderr).not.toContain('RUN echo never');
    expect((await berth('ps', '-a', '-q')).stdout).toBe('');
  });

  it.each([
    ['an unknown instruction', 'FROM busybox\nCOPPY a b\n', 'ERROR: Dockerfile:2: unknown instruction: COPPY'],
    ['a platform it cannot run', 'FROM --platform=linux/s390x busybox\n', /ERROR: Dockerfile:1: FROM --platform=linux\/s390x: berth builds for this machine's platform \(linux\/\w+\) only/],
    ['a file .dockerignore excludes', `FROM ${busybox}\nCOPY ignored.txt /\n`, 'ERROR: Dockerfile:2: COPY: "ignored.txt" is not in the build context (.dockerignore excludes it)'],
    ['a path that climbs out of the context', `FROM ${busybox}\nCOPY ../../../etc/passwd /x\n`, 'ERROR: Dockerfile:2: COPY: "../../../etc/passwd" is not in the build context'],
    ['a context path through a symlinked directory', `FROM ${busybox}\nCOPY etc-link/passwd /x\n`, 'etc-link in the build context is a symlink; berth build never follows the context'],
    [
      'an ADD of a URL this machine cannot fetch',
      `FROM ${busybox}\nADD http://127.0.0.1:9/file /x\n`,
      /ERROR: Dockerfile:2: ADD: ADD http:\/\/127.0.0.1:9\/file: the URL cannot be fetched from this machine/,
    ],
  ])('refuses %s clearly', async (_name, text, expected) => {
    const dir = await context(`refused-${Math.random().toString(36).slice(2)}`, { Dockerfile: text, 'ignored.txt': 'x', '.dockerignore': 'ignored.txt\n' });
    await symlink('/etc', join(dir, 'etc-link'));
    const result = await build(dir);
    expect(result.exitCode).toBe(1);
    if (typeof expected === 'string') expect(result.stderr).toContain(expected);
    else expect(result.stderr).toMatch(expected);
  });

  it("copies a context symlink to /etc/shadow as the link, never the host's file", async () => {
    const dir = await context('context-link', { Dockerfile: `FROM ${busybox}\nCOPY shadow /copied-shadow\n` });
    await symlink('/etc/shadow', join(dir, 'shadow'));
    await built('-t', 'course/context-link', dir);
    const layer = (await saved('course/context-link')).layers.at(-1);
    expect(layer).toEqual([expect.objectContaining({ name: 'copied-shadow', type: 'symlink', linkname: '/etc/shadow' })]);
  });

  it("copies a stage's symlink to /etc/shadow with COPY --from as the link, never the host's file", async () => {
    const dir = await context('from-link', {
      Dockerfile: `FROM ${busybox} AS evil\nRUN mkdir /out && ln -s /etc/shadow /out/secret && ln -s ../../../../etc /out/up\nFROM ${busybox}\nCOPY --from=evil /out/secret /secret\nCOPY --from=evil /out /all/\n`,
    });
    await built('-t', 'course/from-link', dir);
    const image = await saved('course/from-link');
    expect(image.layers.at(-2)).toEqual([expect.objectContaining({ name: 'secret', type: 'symlink', linkname: '/etc/shadow' })]);
    const all = image.layers.at(-1) ?? [];
    expect(entry(all, 'all/secret')).toMatchObject({ type: 'symlink', linkname: '/etc/shadow' });
    expect(entry(all, 'all/up')).toMatchObject({ type: 'symlink', linkname: '../../../../etc' });
    expect(all.some((item) => item.content?.includes('root:'))).toBe(false);
  });
});
