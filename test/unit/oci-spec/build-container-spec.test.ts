import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../common/errors.js';
import { buildContainerSpec } from '../../../runtime/oci/spec/build-container-spec.js';
import type { Spec } from '../../../runtime/oci/spec/runtime-spec.js';
import type { SpecOption } from '../../../runtime/oci/spec/spec-context.js';
import { specProblems, validateSpec } from '../../../runtime/oci/spec/validate-spec.js';
import { busyboxImage, containerConfig, mount, resources, securityContext, specInput } from './fixtures.js';

/** A busybox container as the kubelet sends it for an ordinary pod with a volume. */
function busyboxInput() {
  return specInput({
    config: containerConfig({
      metadata: { name: 'shell', attempt: 1 },
      command: ['sh', '-c'],
      args: ['echo hello; sleep 3600'],
      envs: [{ key: 'GREETING', value: Buffer.from('hello') }],
      mounts: [
        mount({ containerPath: '/var/run/secrets/kubernetes.io/serviceaccount', hostPath: '/var/lib/kubelet/pods/pod-uid-1/volumes/token', readonly: true }),
        mount({ containerPath: '/data', hostPath: '/var/lib/kubelet/pods/pod-uid-1/volumes/data' }),
      ],
      annotations: { 'io.kubernetes.container.hash': 'abc123' },
      linux: {
        resources: resources({ cpuShares: '102', cpuQuota: '50000', cpuPeriod: '100000', memoryLimitInBytes: '67108864', oomScoreAdj: '-997' }),
        securityContext: securityContext({
          runAsUser: { value: '1000' },
          supplementalGroups: ['2000'],
          seccomp: { profileType: 'RuntimeDefault', localhostRef: '' },
          noNewPrivs: true,
          capabilities: { addCapabilities: [], dropCapabilities: ['NET_RAW'], addAmbientCapabilities: [] },
        }),
      },
    }),
    image: busyboxImage({ Env: ['PATH=/bin', 'LANG=C'], WorkingDir: '/home' }),
    host: { cgroupV2: false, swapLimitSupported: true, daemonOomScoreAdj: -500, architecture: 'amd64' },
  });
}

/** The spec with the seccomp profile summarised: its syscall list is tested on its own. */
function summarised(spec: Spec): unknown {
  const { seccomp, ...linux } = spec.linux;
  return {
    ...spec,
    linux: {
      ...linux,
      seccomp: seccomp && { defaultAction: seccomp.defaultAction, architectures: seccomp.architectures, rules: seccomp.syscalls?.length },
    },
  };
}

describe('buildContainerSpec', () => {
  it('builds the spec of a realistic busybox container', () => {
    const { spec, warnings } = buildContainerSpec(busyboxInput());
    expect(summarised(spec)).toMatchSnapshot();
    expect(warnings).toEqual([expect.stringContaining('oom_score_adj -997 raised to -500')]);
  });

  it('produces a spec that survives JSON serialisation unchanged', () => {
    const { spec } = buildContainerSpec(busyboxInput());
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it('labels the spec with the io.kubernetes.cri annotations, which the pod cannot forge', () => {
    const input = specInput({ config: containerConfig({ annotations: { 'io.kubernetes.cri.sandbox-id': 'forged', custom: 'kept' } }) });
    expect(buildContainerSpec(input).spec.annotations).toMatchObject({
      custom: 'kept',
      'io.kubernetes.cri.container-type': 'container',
      'io.kubernetes.cri.sandbox-id': 'sb1',
      'io.kubernetes.cri.container-name': 'app',
      'io.kubernetes.cri.image-name': 'docker.io/library/busybox:latest',
    });
  });

  it('runs extra spec options after its own and validates their result', () => {
    const breaksArgs: SpecOption = (spec) => {
      spec.process.args = [];
    };
    expect(() => buildContainerSpec(specInput(), [breaksArgs])).toThrow(/process.args is empty/);
  });

  it('refuses a relative rootfs path', () => {
    expect(() => buildContainerSpec(specInput({ rootfsPath: 'rootfs' }))).toThrow(InvalidArgumentError);
  });
});

describe('validateSpec', () => {
  const good = (): Spec => buildContainerSpec(specInput()).spec;

  const broken: [string, (spec: Spec) => void, RegExp][] = [
    [
      'a relative cwd',
      (s) => {
        s.process.cwd = 'x';
      },
      /process.cwd "x" is not absolute/,
    ],
    [
      'an env entry without "="',
      (s) => {
        s.process.env.push('FOO');
      },
      /not KEY=VALUE/,
    ],
    [
      'an overflowing uid',
      (s) => {
        s.process.user.uid = 4294967296;
      },
      /outside 0..4294967294/,
    ],
    [
      'a child mount before its parent',
      (s) => {
        s.mounts.push({ destination: '/proc/sys/x' }, { destination: '/proc/sys' });
      },
      /\/proc\/sys\/x comes before its parent \/proc\/sys/,
    ],
    [
      'a repeated namespace',
      (s) => {
        s.linux.namespaces.push({ type: 'mount' });
      },
      /repeats mount/,
    ],
    [
      'a hostname without a UTS namespace',
      (s) => {
        s.linux.namespaces = [{ type: 'mount' }];
      },
      /hostname is set without a uts namespace/,
    ],
    [
      'an unknown capability',
      (s) => {
        s.process.capabilities?.bounding.push('CAP_FLY');
      },
      /unknown capabilities: CAP_FLY/,
    ],
  ];
  it.each(broken)('refuses %s', (_name, breakIt, message) => {
    const spec = good();
    breakIt(spec);
    expect(() => validateSpec(spec)).toThrow(message);
  });

  it('finds nothing wrong with a built spec', () => {
    expect(specProblems(good())).toEqual([]);
  });
});
