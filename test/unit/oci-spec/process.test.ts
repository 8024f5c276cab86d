import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../common/errors.js';
import { buildContainerSpec } from '../../../runtime/oci/spec/build-container-spec.js';
import { mergeEnv } from '../../../runtime/oci/spec/environment.js';
import { resolveArgv, type ArgvSources } from '../../../runtime/oci/spec/process-args.js';
import { busyboxImage, containerConfig, resources, specInput } from './fixtures.js';

describe('resolveArgv', () => {
  const cases: [string, ArgvSources, string[]][] = [
    ['runs the image Entrypoint and Cmd when the container sets neither', { command: [], args: [], entrypoint: ['/entry'], cmd: ['a', 'b'] }, ['/entry', 'a', 'b']],
    ['runs the image Cmd alone when there is no Entrypoint', { command: [], args: [], entrypoint: null, cmd: ['sh'] }, ['sh']],
    ['replaces only the Cmd when the container gives args', { command: [], args: ['x'], entrypoint: ['/entry'], cmd: ['a'] }, ['/entry', 'x']],
    ['replaces the Entrypoint and drops the Cmd when the container gives a command', { command: ['/bin/true'], args: [], entrypoint: ['/entry'], cmd: ['a'] }, ['/bin/true']],
    ['runs command then args when the container gives both', { command: ['echo'], args: ['hi'], entrypoint: ['/entry'], cmd: ['a'] }, ['echo', 'hi']],
    ['runs the args alone when the image has no Entrypoint', { command: [], args: ['ls', '-l'], entrypoint: undefined, cmd: ['sh'] }, ['ls', '-l']],
  ];
  it.each(cases)('%s', (_name, sources, expected) => {
    expect(resolveArgv(sources)).toEqual(expected);
  });

  it('refuses a container with nothing to run', () => {
    expect(() => resolveArgv({ command: [], args: [], entrypoint: null, cmd: null })).toThrow(InvalidArgumentError);
  });
});

describe('mergeEnv', () => {
  it('overrides image variables by name in place and appends new CRI variables', () => {
    const env = mergeEnv({
      hostname: 'web',
      imageEnv: ['PATH=/bin', 'A=1', 'B=2'],
      criEnvs: [
        { key: 'A', value: Buffer.from('override') },
        { key: 'C', value: Buffer.from('3=three') },
      ],
    });
    expect(env).toEqual(['PATH=/bin', 'HOSTNAME=web', 'A=override', 'B=2', 'C=3=three']);
  });

  it('gives a default PATH when the image has none', () => {
    expect(mergeEnv({ hostname: 'h', imageEnv: undefined, criEnvs: [] })[0]).toMatch(/^PATH=\/usr\/local\/sbin:/);
  });

  const hostile: [string, string][] = [
    ['an empty name', ''],
    ['a name with "="', 'A=B'],
    ['a name with a NUL byte', 'A\0B'],
  ];
  it.each(hostile)('refuses a CRI variable with %s', (_name, key) => {
    expect(() => mergeEnv({ hostname: 'h', imageEnv: [], criEnvs: [{ key, value: Buffer.from('v') }] })).toThrow(InvalidArgumentError);
  });
});

describe('process options', () => {
  it('takes the working directory from the container, then the image, then "/"', () => {
    const fromCri = buildContainerSpec(specInput({ config: containerConfig({ workingDir: '/work' }), image: busyboxImage({ WorkingDir: '/img' }) }));
    const fromImage = buildContainerSpec(specInput({ image: busyboxImage({ WorkingDir: '/img' }) }));
    const fallback = buildContainerSpec(specInput());
    expect([fromCri.spec.process.cwd, fromImage.spec.process.cwd, fallback.spec.process.cwd]).toEqual(['/work', '/img', '/']);
  });

  it('refuses a relative working directory', () => {
    expect(() => buildContainerSpec(specInput({ config: containerConfig({ workingDir: 'work' }) }))).toThrow(InvalidArgumentError);
  });

  it('asks for a terminal when the container has a tty', () => {
    expect(buildContainerSpec(specInput({ config: containerConfig({ tty: true }) })).spec.process.terminal).toBe(true);
  });

  it('raises an oom_score_adj below the daemon own value and reports it as a warning', () => {
    const input = specInput({
      config: containerConfig({ linux: { resources: resources({ oomScoreAdj: '-998' }), securityContext: null } }),
      host: { cgroupV2: false, swapLimitSupported: true, daemonOomScoreAdj: -500, architecture: 'amd64' },
    });
    const { spec, warnings } = buildContainerSpec(input);
    expect(spec.process.oomScoreAdj).toBe(-500);
    expect(warnings).toEqual([expect.stringContaining('oom_score_adj -998 raised to -500')]);
  });

  it('keeps an oom_score_adj at or above the daemon own value without a warning', () => {
    const { spec, warnings } = buildContainerSpec(specInput());
    expect(spec.process.oomScoreAdj).toBe(1000);
    expect(warnings).toEqual([]);
  });

  it('refuses an oom_score_adj outside -1000..1000', () => {
    const input = specInput({ config: containerConfig({ linux: { resources: resources({ oomScoreAdj: '1001' }), securityContext: null } }) });
    expect(() => buildContainerSpec(input)).toThrow(InvalidArgumentError);
  });
});
