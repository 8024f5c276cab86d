import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../cli/main.js';
import { kubeletConfigFile, kubeletConfigFromFlags, runNode, type NodeFlags } from '../../../cli/node-command.js';
import { nodeLabels } from '../../../kubelet/node-status.js';

const flags: NodeFlags = {
  socket: '/run/berth/berth.sock',
  rootDir: '/var/lib/berth',
  stateDir: '/run/berth',
  insecureRegistry: [],
  registryMirror: [],
  cniConfDir: '/etc/cni/net.d',
  cniBinDir: '/usr/lib/cni',
  streamAddress: '127.0.0.1',
  streamPort: 0,
  metricsAddress: '',
  gpuDriverRoot: '/',
  gpuDeviceRoot: '/',
  cdiSpecDir: [],
  logLevel: 'info',
  podManifestPath: 'manifests/static',
  nodeName: 'node-a',
  nodeIp: '192.0.2.10',
  maxPods: 110,
  clusterDns: [],
  clusterDomain: 'cluster.local',
  address: '0.0.0.0',
  port: 10250,
  readOnlyPort: 10255,
  devicePluginDir: '',
};

describe('berth node configuration', () => {
  it('serves the kubelet API on --address:--port and the read-only port on loopback only, each off with port 0', () => {
    const config = kubeletConfigFromFlags(flags, '/run/berth/berth.sock');
    expect(config.serverAddress).toBe('0.0.0.0:10250');
    expect(config.readOnlyAddress).toBe('127.0.0.1:10255');
    expect(kubeletConfigFromFlags({ ...flags, address: '::1', port: 10260 }, '/run/berth/berth.sock').serverAddress).toBe('[::1]:10260');
    expect(kubeletConfigFromFlags({ ...flags, address: '192.0.2.10' }, '/run/berth/berth.sock').readOnlyAddress).toBe('127.0.0.1:10255');
    const off = kubeletConfigFromFlags({ ...flags, port: 0, readOnlyPort: 0 }, '/run/berth/berth.sock');
    expect([off.serverAddress, off.readOnlyAddress]).toEqual([undefined, undefined]);
    expect(() => kubeletConfigFromFlags({ ...flags, address: 'bad host' }, '/run/berth/berth.sock')).toThrow(/must be host:port/);
    expect(() => kubeletConfigFromFlags({ ...flags, tlsCertFile: '/etc/kubelet.crt' }, '/run/berth/berth.sock')).toThrow(/give both or neither/);
  });

  it('gives each CRI call the --runtime-request-timeout (2m by default, or runtimeRequestTimeout from the file)', () => {
    expect(kubeletConfigFromFlags(flags, '/run/berth/berth.sock').runtimeRequestTimeoutMs).toBe(120_000);
    expect(kubeletConfigFromFlags({ ...flags, runtimeRequestTimeout: '1m30s' }, '/run/berth/berth.sock').runtimeRequestTimeoutMs).toBe(90_000);
    const fromFile = kubeletConfigFile('kind: KubeletConfiguration\nruntimeRequestTimeout: 10s\n', 'kubelet.yaml');
    expect(kubeletConfigFromFlags(flags, '/run/berth/berth.sock', fromFile).runtimeRequestTimeoutMs).toBe(10_000);
    expect(kubeletConfigFromFlags({ ...flags, runtimeRequestTimeout: '500ms' }, '/run/berth/berth.sock', fromFile).runtimeRequestTimeoutMs).toBe(500);
    expect(() => kubeletConfigFromFlags({ ...flags, runtimeRequestTimeout: '2 minutes' }, '/run/berth/berth.sock')).toThrow(/--runtime-request-timeout "2 minutes" is not a duration/);
    expect(() => kubeletConfigFromFlags({ ...flags, runtimeRequestTimeout: '0s' }, '/run/berth/berth.sock')).toThrow(/must be positive/);
    // kubeadm's config.yaml says 0s for "the default", as upstream reads it.
    const kubeadms = kubeletConfigFile('kind: KubeletConfiguration\nruntimeRequestTimeout: 0s\n', 'config.yaml');
    expect(kubeletConfigFromFlags(flags, '/run/berth/berth.sock', kubeadms).runtimeRequestTimeoutMs).toBe(120_000);
  });

  it('leaves the unauthenticated read-only port off unless --read-only-port names one, as upstream', () => {
    const node = buildProgram().commands.find((command) => command.name() === 'node');
    const defaults = new Map(node?.options.map((option) => [option.long, option.defaultValue as unknown]));
    expect([defaults.get('--read-only-port'), defaults.get('--port')]).toEqual([0, 10250]);
    expect(kubeletConfigFromFlags({ ...flags, readOnlyPort: 0 }, '/run/berth/berth.sock').readOnlyAddress).toBeUndefined();
  });

  it('registers with the taints of --register-with-taints, else those of the config file', () => {
    expect(kubeletConfigFromFlags({ ...flags, registerWithTaints: 'dedicated=gpu:NoExecute' }, '/run/berth/berth.sock').registerWithTaints).toEqual([
      { key: 'dedicated', value: 'gpu', effect: 'NoExecute' },
    ]);
    const fromFile = kubeletConfigFile('registerWithTaints: [{key: maintenance, effect: NoSchedule}]', 'config.yaml');
    expect(kubeletConfigFromFlags(flags, '/run/berth/berth.sock', fromFile).registerWithTaints).toEqual([{ key: 'maintenance', effect: 'NoSchedule' }]);
    expect(kubeletConfigFromFlags(flags, '/run/berth/berth.sock').registerWithTaints).toEqual([]);
    expect(() => kubeletConfigFromFlags({ ...flags, registerWithTaints: 'x=y' }, '/run/berth/berth.sock')).toThrow(/effect must be one of/);
  });

  it('registers with the labels of --node-labels, the well-known ones winning', () => {
    const config = kubeletConfigFromFlags({ ...flags, nodeLabels: 'tier=gpu, zone=a,kubernetes.io/hostname=spoof' }, '/run/berth/berth.sock');
    expect(config.nodeLabels).toEqual({ tier: 'gpu', zone: 'a', 'kubernetes.io/hostname': 'spoof' });
    expect(nodeLabels(config, { architecture: 'amd64' })).toMatchObject({ tier: 'gpu', zone: 'a', 'kubernetes.io/hostname': config.nodeName });
    expect(() => kubeletConfigFromFlags({ ...flags, nodeLabels: 'novalue' }, '/run/berth/berth.sock')).toThrow(/is not key=value/);
  });

  it('drives the runtime named by --container-runtime-endpoint, else the embedded one', () => {
    expect(kubeletConfigFromFlags({ ...flags, containerRuntimeEndpoint: 'unix:///run/containerd/containerd.sock' }, '/run/berth/berth.sock').runtimeEndpoint).toBe(
      'unix:///run/containerd/containerd.sock',
    );
    expect(kubeletConfigFromFlags(flags, '/run/berth/berth.sock').runtimeEndpoint).toBe('/run/berth/berth.sock');
  });

  it('is standalone without --kubeconfig and keeps the kubelet state under --root-dir', () => {
    const config = kubeletConfigFromFlags(flags, '/run/berth/berth.sock');
    expect(config.kubeconfigPath).toBeUndefined();
    expect(config.rootDir).toBe('/var/lib/berth/kubelet');
  });

  it('reads a KubeletConfiguration file whose values replace the flag defaults', () => {
    const file = kubeletConfigFile(
      'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nstaticPodPath: /etc/kubernetes/manifests\nmaxPods: 50\nclusterDNS: [10.96.0.10]\nclusterDomain: example.local\ncgroupRoot: /berth\n',
      'kubelet.yaml',
    );
    const config = kubeletConfigFromFlags(flags, '/run/berth/berth.sock', file);
    expect(config).toMatchObject({ podManifestPath: '/etc/kubernetes/manifests', maxPods: 50, clusterDns: ['10.96.0.10'], clusterDomain: 'example.local', cgroupParent: '/berth' });
  });

  it('lets explicit flags win over the file', () => {
    const file = kubeletConfigFile('kind: KubeletConfiguration\nmaxPods: 50\n', 'kubelet.yaml');
    expect(kubeletConfigFromFlags({ ...flags, maxPods: 20 }, '/run/berth/berth.sock', file).maxPods).toBe(20);
  });

  it('reads reservations from --kube-reserved/--system-reserved and from the file', () => {
    const file = kubeletConfigFile('kind: KubeletConfiguration\nkubeReserved:\n  cpu: 100m\n  memory: 256Mi\nsystemReserved:\n  memory: 1Gi\n', 'kubelet.yaml');
    expect(kubeletConfigFromFlags(flags, '/run/berth/berth.sock', file)).toMatchObject({ kubeReserved: { cpu: '100m', memory: '256Mi' }, systemReserved: { memory: '1Gi' } });
    expect(kubeletConfigFromFlags({ ...flags, kubeReserved: 'cpu=1' }, '/run/berth/berth.sock', file).kubeReserved).toEqual({ cpu: '1' });
    expect(() => kubeletConfigFile('kind: KubeletConfiguration\nkubeReserved:\n  disk: 1Gi\n', 'kubelet.yaml')).toThrow(/kubelet.yaml: kubeReserved: "disk" cannot be reserved/);
  });

  it('holds the pods to the node allocatable by default, as --enforce-node-allocatable=pods', () => {
    expect(kubeletConfigFromFlags(flags, '/run/berth/berth.sock').enforcePodsAllocatable).toBe(true);
    expect(kubeletConfigFromFlags({ ...flags, enforceNodeAllocatable: 'none' }, '/run/berth/berth.sock').enforcePodsAllocatable).toBe(false);
    expect(kubeletConfigFromFlags({ ...flags, enforceNodeAllocatable: '' }, '/run/berth/berth.sock').enforcePodsAllocatable).toBe(false);
    const file = kubeletConfigFile('kind: KubeletConfiguration\nenforceNodeAllocatable: []\n', 'kubelet.yaml');
    expect(kubeletConfigFromFlags(flags, '/run/berth/berth.sock', file).enforcePodsAllocatable).toBe(false);
    expect(kubeletConfigFromFlags({ ...flags, enforceNodeAllocatable: 'pods' }, '/run/berth/berth.sock', file).enforcePodsAllocatable).toBe(true);
    expect(() => kubeletConfigFromFlags({ ...flags, enforceNodeAllocatable: 'pods,system-reserved' }, '/run/berth/berth.sock')).toThrow(/berth enforces only 'pods'/);
    expect(() => kubeletConfigFromFlags({ ...flags, enforceNodeAllocatable: 'pods,none' }, '/run/berth/berth.sock')).toThrow(/'none' cannot be combined/);
    expect(() => kubeletConfigFile('kind: KubeletConfiguration\nenforceNodeAllocatable: pods\n', 'kubelet.yaml')).toThrow(/must be a list/);
  });

  it("reads what kubeadm's config.yaml says about healthz, the client CA and serverTLSBootstrap; flags win", () => {
    const file = kubeletConfigFile(
      'kind: KubeletConfiguration\nhealthzPort: 10248\nhealthzBindAddress: 127.0.0.1\nauthentication:\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\nserverTLSBootstrap: true\n',
      'config.yaml',
    );
    expect(kubeletConfigFromFlags(flags, '/run/berth/berth.sock', file)).toMatchObject({ healthzAddress: '127.0.0.1:10248', clientCaFile: '/etc/kubernetes/pki/ca.crt', serverTlsBootstrap: true });
    expect(kubeletConfigFromFlags({ ...flags, healthzPort: 0, clientCaFile: '/ca.pem' }, '/run/berth/berth.sock', file)).toMatchObject({ healthzAddress: undefined, clientCaFile: '/ca.pem' });
    expect(kubeletConfigFromFlags(flags, '/run/berth/berth.sock')).toMatchObject({ healthzAddress: undefined, serverTlsBootstrap: false });
  });

  it('refuses --bootstrap-kubeconfig without --kubeconfig before it starts anything', async () => {
    await expect(runNode({ ...flags, bootstrapKubeconfig: '/etc/kubernetes/bootstrap-kubelet.conf', logLevel: 'silent' as NodeFlags['logLevel'] })).rejects.toThrow(
      /--bootstrap-kubeconfig needs --kubeconfig/,
    );
  });

  it('refuses a file of another kind', () => {
    expect(() => kubeletConfigFile('kind: Pod\n', 'pod.yaml')).toThrow(/pod.yaml: kind Pod is not KubeletConfiguration/);
  });

  it('refuses an invalid flag before it starts a runtime or connects anywhere', async () => {
    await expect(runNode({ ...flags, nodeName: 'Node_A', logLevel: 'silent' as NodeFlags['logLevel'] })).rejects.toThrow(/RFC 1123/);
  });
});
