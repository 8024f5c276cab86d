import { describe, expect, it } from 'vitest';
import { defaultNodeIp, kubeletConfig, type KubeletConfigInput } from '../../../kubelet/config.js';

const base: KubeletConfigInput = { nodeName: 'node-a', nodeIp: '192.0.2.10', runtimeEndpoint: 'unix:///run/containerd/containerd.sock', kubeletVersion: 'v0.1.0-berth' };

describe('kubelet config', () => {
  it('fills the upstream defaults: standalone without kubeconfig, 110 pods, cluster.local, 40 s lease renewed every 10 s', () => {
    const config = kubeletConfig(base);
    expect(config).toMatchObject({ kubeconfigPath: undefined, podManifestPath: undefined, maxPods: 110, clusterDomain: 'cluster.local', clusterDns: [], podLogsDir: '/var/log/pods' });
    expect(config.timings).toMatchObject({ leaseDurationSeconds: 40, leaseRenewMs: 10_000, nodeStatusUpdateMs: 10_000, nodeStatusReportMs: 300_000, staticPodCheckMs: 20_000, relistMs: 1_000 });
  });

  it('lower-cases the node name and makes paths absolute', () => {
    const config = kubeletConfig({ ...base, nodeName: 'Node-A', podManifestPath: 'manifests/static' });
    expect(config.nodeName).toBe('node-a');
    expect(config.podManifestPath).toMatch(/^\/.*\/manifests\/static$/);
  });

  it.each<[string, Partial<KubeletConfigInput>, RegExp]>([
    ['a node name with an underscore', { nodeName: 'node_a' }, /RFC 1123/],
    ['a node IP that is no address', { nodeIp: 'node-a.local' }, /not an IP address/],
    ['zero max pods', { maxPods: 0 }, /max pods/],
    ['fractional max pods', { maxPods: 1.5 }, /max pods/],
    ['a cluster DNS that is no address', { clusterDns: ['dns.local'] }, /cluster DNS/],
    ['an empty runtime endpoint', { runtimeEndpoint: ' ' }, /runtime endpoint/],
    ['a relative cgroup parent', { cgroupParent: 'kubepods' }, /cgroup parent/],
    ['a cgroup parent that climbs out', { cgroupParent: '/kubepods/../..' }, /cgroup parent/],
    ['a zero relist period', { timings: { relistMs: 0 } }, /relistMs/],
  ])('refuses %s', (_name, change, error) => {
    expect(() => kubeletConfig({ ...base, ...change })).toThrow(error);
  });

  it('picks the first external IPv4 address as the default node IP', () => {
    const interfaces = {
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '255.0.0.0', mac: '00:00:00:00:00:00', cidr: '127.0.0.1/8' }],
      eth0: [{ address: '192.0.2.7', family: 'IPv4', internal: false, netmask: '255.255.255.0', mac: '02:00:00:00:00:01', cidr: '192.0.2.7/24' }],
    } as const;
    expect(defaultNodeIp(interfaces as unknown as Parameters<typeof defaultNodeIp>[0])).toBe('192.0.2.7');
  });
});
