// Complete CRI messages (as the server decodes them, every field present) and a realistic input
// for the spec builder: a busybox container in an ordinary pod.
import type {
  ContainerConfig__Output,
  LinuxContainerResources__Output,
  LinuxContainerSecurityContext__Output,
  LinuxSandboxSecurityContext__Output,
  Mount__Output,
  NamespaceOption__Output,
  PodSandboxConfig__Output,
} from '../../../api/cri/messages.js';
import type { ImageConfig } from '../../../runtime/images/oci-types.js';
import type { ContainerSpecInput } from '../../../runtime/oci/spec/spec-input.js';

export const busyboxPasswd = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'nobody:x:65534:65534:nobody:/home:/bin/false',
  'alice:x:1000:1000:Alice:/home/alice:/bin/sh',
  'bob:x:1001:100:Bob:/home/bob:/bin/sh',
].join('\n');

export const busyboxGroup = ['root:x:0:', 'daemon:x:1:', 'wheel:x:10:root,alice', 'users:x:100:', 'audio:x:29:alice,bob', 'alice:x:1000:', 'nogroup:x:65534:'].join('\n');

export function namespaceOptions(overrides: Partial<NamespaceOption__Output> = {}): NamespaceOption__Output {
  return { network: 'POD', pid: 'CONTAINER', ipc: 'POD', targetId: '', usernsOptions: null, ...overrides };
}

export function securityContext(overrides: Partial<LinuxContainerSecurityContext__Output> = {}): LinuxContainerSecurityContext__Output {
  return {
    capabilities: null,
    privileged: false,
    namespaceOptions: namespaceOptions(),
    selinuxOptions: null,
    runAsUser: null,
    runAsUsername: '',
    readonlyRootfs: false,
    supplementalGroups: [],
    apparmorProfile: '',
    seccompProfilePath: '',
    noNewPrivs: false,
    runAsGroup: null,
    maskedPaths: [],
    readonlyPaths: [],
    seccomp: null,
    apparmor: null,
    supplementalGroupsPolicy: 'Merge',
    ...overrides,
  };
}

export function sandboxSecurityContext(overrides: Partial<LinuxSandboxSecurityContext__Output> = {}): LinuxSandboxSecurityContext__Output {
  return {
    namespaceOptions: namespaceOptions(),
    selinuxOptions: null,
    runAsUser: null,
    readonlyRootfs: false,
    supplementalGroups: [],
    privileged: false,
    seccompProfilePath: '',
    runAsGroup: null,
    seccomp: null,
    apparmor: null,
    supplementalGroupsPolicy: 'Merge',
    ...overrides,
  };
}

export function resources(overrides: Partial<LinuxContainerResources__Output> = {}): LinuxContainerResources__Output {
  return {
    cpuPeriod: '0',
    cpuQuota: '0',
    cpuShares: '0',
    memoryLimitInBytes: '0',
    oomScoreAdj: '0',
    cpusetCpus: '',
    cpusetMems: '',
    hugepageLimits: [],
    unified: {},
    memorySwapLimitInBytes: '0',
    ...overrides,
  };
}

export function mount(overrides: Partial<Mount__Output> & { containerPath: string }): Mount__Output {
  return {
    hostPath: '/var/lib/kubelet/pods/uid/volumes/data',
    readonly: false,
    selinuxRelabel: false,
    propagation: 'PROPAGATION_PRIVATE',
    uidMappings: [],
    gidMappings: [],
    recursiveReadOnly: false,
    image: null,
    imageSubPath: '',
    mountOptions: [],
    ...overrides,
  };
}

export function containerConfig(overrides: Partial<ContainerConfig__Output> = {}): ContainerConfig__Output {
  return {
    metadata: { name: 'app', attempt: 0 },
    image: { image: 'busybox', annotations: {}, userSpecifiedImage: 'busybox', runtimeHandler: '', imageRef: '' },
    command: [],
    args: [],
    workingDir: '',
    envs: [],
    mounts: [],
    devices: [],
    labels: {},
    annotations: {},
    logPath: 'app/0.log',
    stdin: false,
    stdinOnce: false,
    tty: false,
    linux: { resources: resources({ oomScoreAdj: '1000' }), securityContext: securityContext() },
    windows: null,
    CDIDevices: [],
    stopSignal: 'SIGNAL_RUNTIME_DEFAULT',
    ...overrides,
  };
}

export function sandboxConfig(overrides: Partial<PodSandboxConfig__Output> = {}): PodSandboxConfig__Output {
  return {
    metadata: { name: 'web', uid: 'pod-uid-1', namespace: 'default', attempt: 0 },
    hostname: 'web',
    logDirectory: '/var/log/pods/default_web_pod-uid-1',
    dnsConfig: null,
    portMappings: [],
    labels: {},
    annotations: {},
    linux: {
      cgroupParent: '',
      securityContext: sandboxSecurityContext(),
      sysctls: {},
      overhead: null,
      resources: null,
    },
    windows: null,
    ...overrides,
  };
}

export function busyboxImage(run: NonNullable<ImageConfig['config']> = {}): ImageConfig {
  return {
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], ...run },
    rootfs: { type: 'layers', diff_ids: [] },
  };
}

const sandboxDir = '/run/berth/sandboxes/sb1';

export function specInput(overrides: Partial<ContainerSpecInput> = {}): ContainerSpecInput {
  return {
    containerId: 'c1',
    config: containerConfig(),
    imageName: 'docker.io/library/busybox:latest',
    image: busyboxImage(),
    rootfsPath: '/var/lib/berth/containers/c1/rootfs',
    cgroupsPath: 'berth/pod-uid-1/c1',
    sandbox: {
      id: 'sb1',
      config: sandboxConfig(),
      hostname: 'web',
      namespaces: { network: `${sandboxDir}/ns/net`, ipc: `${sandboxDir}/ns/ipc`, uts: `${sandboxDir}/ns/uts` },
      files: {
        hostsPath: `${sandboxDir}/hosts`,
        resolvConfPath: `${sandboxDir}/resolv.conf`,
        hostnamePath: `${sandboxDir}/hostname`,
        shmPath: `${sandboxDir}/shm`,
      },
    },
    host: { cgroupV2: false, swapLimitSupported: true, daemonOomScoreAdj: 0, architecture: 'amd64' },
    etcPasswd: busyboxPasswd,
    etcGroup: busyboxGroup,
    ...overrides,
  };
}

/** A container config whose Linux security context is `security` (other Linux fields default). */
export function withSecurityContext(security: Partial<LinuxContainerSecurityContext__Output>, config: Partial<ContainerConfig__Output> = {}): ContainerConfig__Output {
  return containerConfig({
    ...config,
    linux: { resources: resources({ oomScoreAdj: '1000' }), securityContext: securityContext(security) },
  });
}
