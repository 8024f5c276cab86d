import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../common/errors.js';
import { generatedName, parseCpus, parseMemory, parsePublish, planRun, type RunFlags } from '../../../cli/containers/run-plan.js';

const uid = '0123abcd-0000-4000-8000-000000000000';
const context = { logRoot: '/var/log/berth', environment: { HOME: '/root' }, uid };
const flags = (extra: Partial<RunFlags> = {}): RunFlags => ({ env: [], volume: [], label: [], ...extra });

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('planRun', () => {
  it('makes one pod per container, named after it, with its log directory and the CLI label', () => {
    const { name, pod, container } = planRun('registry.local:5000/library/busybox:1.36', ['echo', 'hi'], flags({ name: 'web' }), context);
    expect(name).toBe('web');
    expect(pod.metadata).toEqual({ name: 'web', namespace: 'berth-cli', uid, attempt: 0 });
    expect(pod.hostname).toBe('web');
    expect(pod.logDirectory).toBe(`/var/log/berth/web_${uid}`);
    expect(pod.labels).toEqual({ 'berth.dev/cli-name': 'web' });
    expect(container.metadata).toEqual({ name: 'web', attempt: 0 });
    expect(container.image).toEqual({ image: 'registry.local:5000/library/busybox:1.36' });
    // The image's entrypoint stays; the words after the image replace its cmd.
    expect(container.command).toBeUndefined();
    expect(container.args).toEqual(['echo', 'hi']);
    expect(container.logPath).toBe('web.log');
  });

  it('keeps stdin open once with -i and asks for a terminal with -t', () => {
    const plain = planRun('busybox', [], flags(), context).container;
    expect([plain.stdin, plain.stdinOnce, plain.tty]).toEqual([false, false, false]);
    const interactive = planRun('busybox', ['sh'], flags({ interactive: true, tty: true }), context).container;
    expect([interactive.stdin, interactive.stdinOnce, interactive.tty]).toEqual([true, true, true]);
    const piped = planRun('busybox', ['cat'], flags({ interactive: true }), context).container;
    expect([piped.stdin, piped.stdinOnce, piped.tty]).toEqual([true, true, false]);
  });

  it("publishes ports on the pod as docker's -p writes them", () => {
    const { pod } = planRun('busybox', [], flags({ publish: ['8080:80', '127.0.0.1:5353:53/udp'] }), context);
    expect(pod.portMappings).toEqual([
      { protocol: 'TCP', containerPort: 80, hostPort: 8080 },
      { protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' },
    ]);
    expect(parsePublish('[::1]:9000:90/SCTP')).toEqual({ protocol: 'SCTP', containerPort: 90, hostPort: 9000, hostIp: '::1' });
    expect(planRun('busybox', [], flags(), context).pod.portMappings).toBeUndefined();
  });

  it('refuses a -p it cannot honour', () => {
    expect(refusal(() => parsePublish('80'))).toContain('a host port is required');
    expect(refusal(() => parsePublish('8080:80/icmp'))).toContain('[HOST-IP:]HOST-PORT:CONTAINER-PORT');
    expect(refusal(() => parsePublish('70000:80'))).toContain('the host port must be 1 to 65535');
    expect(refusal(() => parsePublish('8080:0'))).toContain('the container port must be 1 to 65535');
    expect(refusal(() => planRun('busybox', [], flags({ publish: ['8080:80'], network: 'host' }), context))).toContain('drop -p');
  });

  it('names an unnamed container after its image', () => {
    expect(planRun('localhost:5000/busybox:latest', [], flags(), context).name).toBe('busybox-0123ab');
    expect(generatedName('nginx@sha256:abcd', uid)).toBe('nginx-0123ab');
  });

  it('maps -e, -v, -l, -w, -u and --entrypoint', () => {
    const { container } = planRun(
      'busybox',
      ['-c', 'env'],
      flags({ env: ['A=1', 'B=', 'HOME', 'UNSET'], volume: ['/srv/data:/data:ro', '/tmp//x/:/x'], label: ['team=gpu', 'flag'], workdir: '/work', user: '1000:2000', entrypoint: 'sh' }),
      context,
    );
    expect(container.envs?.map(({ key, value }) => [key, Buffer.from(value ?? '').toString()])).toEqual([
      ['A', '1'],
      ['B', ''],
      ['HOME', '/root'],
    ]);
    expect(container.mounts).toEqual([
      { hostPath: '/srv/data', containerPath: '/data', readonly: true },
      { hostPath: '/tmp/x/', containerPath: '/x', readonly: false },
    ]);
    expect(container.labels).toEqual({ team: 'gpu', flag: '', 'berth.dev/cli-name': 'busybox-0123ab' });
    expect(container.workingDir).toBe('/work');
    expect(container.linux?.securityContext?.runAsUser).toEqual({ value: 1000 });
    expect(container.linux?.securityContext?.runAsGroup).toEqual({ value: 2000 });
    expect(container.command).toEqual(['sh']);
    expect(container.args).toEqual(['-c', 'env']);
  });

  it('takes a user name for the image to resolve', () => {
    expect(planRun('busybox', [], flags({ user: 'nobody' }), context).container.linux?.securityContext?.runAsUsername).toBe('nobody');
  });

  it('puts --gpus in the berth.dev/gpus annotation', () => {
    expect(planRun('cuda', [], flags({ gpus: '"device=0,1",capabilities=utility' }), context).container.annotations).toEqual({
      'berth.dev/gpus': '"device=0,1",capabilities=utility',
    });
  });

  it('maps --memory, --cpus, --privileged, --read-only and --network host', () => {
    const { pod, container } = planRun('busybox', [], flags({ memory: '512m', cpus: '1.5', privileged: true, readOnly: true, network: 'host' }), context);
    expect(container.linux?.resources).toEqual({ memoryLimitInBytes: 512 * 1024 ** 2, cpuPeriod: 100_000, cpuQuota: 150_000 });
    expect(container.linux?.securityContext).toMatchObject({ privileged: true, readonlyRootfs: true, namespaceOptions: { network: 'NODE' } });
    expect(pod.linux?.securityContext).toMatchObject({ privileged: true, namespaceOptions: { network: 'NODE' } });
    expect(pod.hostname).toBe('');
  });

  it('puts a user network or none in the pod annotation berth.dev/network; bridge and host need none', () => {
    expect(planRun('busybox', [], flags({ network: 'backend' }), context).pod.annotations).toEqual({ 'berth.dev/network': 'backend' });
    expect(planRun('busybox', [], flags({ network: 'none' }), context).pod.annotations).toEqual({ 'berth.dev/network': 'none' });
    expect(planRun('busybox', [], flags({ network: 'bridge' }), context).pod.annotations).toBeUndefined();
  });

  it('leaves named and anonymous volumes for the runtime to make, in the order given', () => {
    const { container, volumes } = planRun('busybox', [], flags({ volume: ['/srv:/srv', 'cache:/cache:ro', '/scratch'] }), context);
    expect(container.mounts).toEqual([
      { hostPath: '/srv', containerPath: '/srv', readonly: false },
      { hostPath: '', containerPath: '/cache', readonly: true },
      { hostPath: '', containerPath: '/scratch', readonly: false },
    ]);
    expect(volumes).toEqual([
      { name: 'cache', mountIndex: 1 },
      { name: '', mountIndex: 2 },
    ]);
  });

  it.each([
    [flags({ name: '-bad' }), '--name "-bad": use letters, digits'],
    [flags({ gpus: 'device=gpu0' }), '--gpus "device=gpu0": device "gpu0" is neither a GPU index nor a GPU-<uuid>'],
    [flags({ volume: ['../etc:/data'] }), 'volume name "../etc" includes invalid characters for a local volume name'],
    [flags({ volume: ['./data:/data'] }), 'volume name "./data" includes invalid characters'],
    [flags({ volume: ['a:/data'] }), 'volume name "a" is too short'],
    [flags({ volume: ['data'] }), '-v "data": an anonymous volume needs an absolute container path'],
    [flags({ volume: ['data:rel'] }), '-v "data:rel": the container path must be absolute'],
    [flags({ volume: ['/a:/b:rx'] }), '-v "/a:/b:rx": the mode must be ro or rw'],
    [flags({ env: ['=x'] }), '-e "=x": the variable has no name'],
    [flags({ user: '1000:staff' }), '--user "1000:staff": give the group as a number'],
    [flags({ workdir: 'tmp' }), '--workdir "tmp" must be absolute'],
    [flags({ network: '../host' }), 'network name "../host" includes invalid characters'],
    [flags({ network: 'none', publish: ['80:80'] }), '-p with --network none'],
    [flags({ label: ['berth.dev/cli-name=x'] }), '-l "berth.dev/cli-name=x": berth.dev/cli-name is berth\'s own'],
  ])('refuses %#', (given, message) => {
    expect(refusal(() => planRun('busybox', [], given, context))).toContain(message);
  });
});

describe('docker size and CPU flags', () => {
  it('reads memory with units', () => {
    expect(parseMemory('64m')).toBe(64 * 1024 ** 2);
    expect(parseMemory('1G')).toBe(1024 ** 3);
    expect(parseMemory('1.5g')).toBe(1.5 * 1024 ** 3);
    expect(parseMemory('10000000')).toBe(10_000_000);
    expect(refusal(() => parseMemory('4m'))).toContain('the minimum is 6m');
    expect(refusal(() => parseMemory('lots'))).toContain('use a number with an optional unit');
  });

  it('turns CPUs into a quota over 100 ms', () => {
    expect(parseCpus('0.5')).toEqual({ cpuPeriod: 100_000, cpuQuota: 50_000 });
    expect(parseCpus('.001')).toEqual({ cpuPeriod: 100_000, cpuQuota: 1000 });
    expect(refusal(() => parseCpus('0'))).toContain('use a positive number of CPUs');
    expect(refusal(() => parseCpus('-1'))).toContain('use a positive number of CPUs');
  });
});
