import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { containerConfig, podDnsConfig, sandboxConfig } from '../../../kubelet/pod-config.js';

const options = { podLogsDir: '/var/log/pods', cgroupParent: '/kubepods', clusterDns: ['10.96.0.10'], clusterDomain: 'cluster.local', rootDir: '/var/lib/kubelet' };

function pod(spec: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod {
  return {
    metadata: { name: 'web', namespace: 'shop', uid: 'uid-1', labels: { app: 'web' }, annotations: { note: 'x' } },
    spec: { containers: [{ name: 'main', image: 'registry.test/web:1' }], ...spec },
  };
}

describe('pod → CRI sandbox config', () => {
  it('carries the metadata, the kubelet labels next to the pod labels, and the pod log directory', () => {
    const config = sandboxConfig(pod(), 2, options);
    expect(config.metadata).toEqual({ name: 'web', namespace: 'shop', uid: 'uid-1', attempt: 2 });
    expect(config.labels).toEqual({ app: 'web', 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.pod.uid': 'uid-1' });
    expect(config.annotations).toEqual({ note: 'x' });
    expect(config.logDirectory).toBe('/var/log/pods/shop_web_uid-1');
    expect(config.hostname).toBe('web');
    expect(config.linux?.cgroupParent).toBe('/kubepods/besteffort/poduid-1');
    expect(config.linux?.resources).toEqual({ cpuShares: '2' });
  });

  it('uses spec.hostname when set and no hostname on the host network', () => {
    expect(sandboxConfig(pod({ hostname: 'custom' }), 0, options).hostname).toBe('custom');
    const host = sandboxConfig(pod({ hostNetwork: true }), 0, options);
    expect(host.hostname).toBe('');
    expect(host.linux?.securityContext?.namespaceOptions?.network).toBe('NODE');
  });

  it('maps container ports with a host port, and only those', () => {
    const config = sandboxConfig(
      pod({
        containers: [
          { name: 'main', image: 'i', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '127.0.0.1' }, { containerPort: 9090 }] },
        ],
      }),
      0,
      options,
    );
    expect(config.portMappings).toEqual([
      { protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '' },
      { protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' },
    ]);
  });

  it.each<[string, Partial<NonNullable<V1Pod['spec']>>, string[], ReturnType<typeof podDnsConfig>]>([
    ['ClusterFirst with a cluster DNS', {}, ['10.96.0.10'], { servers: ['10.96.0.10'], searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] }],
    ['ClusterFirst without a cluster DNS falls back to the host', {}, [], null],
    ['ClusterFirst on the host network uses the host', { hostNetwork: true }, ['10.96.0.10'], null],
    [
      'ClusterFirstWithHostNet on the host network',
      { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' },
      ['10.96.0.10'],
      { servers: ['10.96.0.10'], searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] },
    ],
    ['Default uses the host', { dnsPolicy: 'Default' }, ['10.96.0.10'], null],
    [
      'None takes only dnsConfig',
      { dnsPolicy: 'None', dnsConfig: { nameservers: ['192.0.2.53'], searches: ['example.test'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } },
      ['10.96.0.10'],
      { servers: ['192.0.2.53'], searches: ['example.test'], options: ['ndots:2', 'edns0'] },
    ],
    [
      'ClusterFirst merges dnsConfig, an option overriding the default',
      { dnsConfig: { nameservers: ['192.0.2.53'], options: [{ name: 'ndots', value: '1' }] } },
      ['10.96.0.10'],
      { servers: ['10.96.0.10', '192.0.2.53'], searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:1'] },
    ],
  ])('resolves DNS for %s', (_name, spec, clusterDns, expected) => {
    expect(podDnsConfig(pod(spec), { clusterDns, clusterDomain: 'cluster.local' })).toEqual(expected);
  });
});

describe('pod → CRI container config', () => {
  const withContainer = pod({
    containers: [{ name: 'main', image: 'registry.test/web:1', command: ['/bin/web'], args: ['--port', '80'], workingDir: '/srv', env: [{ name: 'MODE', value: 'prod' }, { name: 'EMPTY' }] }],
  });

  it('labels the container with its name and the pod identity, and logs to <container>/<restartCount>.log', () => {
    const config = containerConfig(withContainer, withContainer.spec!.containers[0]!, 3);
    expect(config.metadata).toEqual({ name: 'main', attempt: 3 });
    expect(config.labels).toEqual({
      'io.kubernetes.pod.name': 'web',
      'io.kubernetes.pod.namespace': 'shop',
      'io.kubernetes.pod.uid': 'uid-1',
      'io.kubernetes.container.name': 'main',
    });
    expect(config.logPath).toBe('main/3.log');
  });

  it('passes command, args, working dir and plain env values', () => {
    const config = containerConfig(withContainer, withContainer.spec!.containers[0]!, 0);
    expect(config).toMatchObject({ image: { image: 'registry.test/web:1' }, command: ['/bin/web'], args: ['--port', '80'], workingDir: '/srv' });
    expect(config.envs).toEqual([
      { key: 'MODE', value: Buffer.from('prod') },
      { key: 'EMPTY', value: Buffer.from('') },
    ]);
  });

  it('gives containers the namespace options of their sandbox, so each has its own pid namespace by default', () => {
    expect(containerConfig(withContainer, withContainer.spec!.containers[0]!, 0).linux?.securityContext?.namespaceOptions).toEqual({ network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
    const shared = pod({ shareProcessNamespace: true });
    expect(containerConfig(shared, shared.spec!.containers[0]!, 0).linux?.securityContext?.namespaceOptions?.pid).toBe('POD');
  });

  it('expands $(VAR) in command and args from the resolved env, leaving unknown names and $$ escapes as upstream', () => {
    const p = pod({ containers: [{ name: 'main', image: 'i', command: ['echo', '$(GREETING)'], args: ['$(WHO)-$(MISSING)', '$$(GREETING)'] }] });
    const config = containerConfig(p, p.spec!.containers[0]!, 0, {
      envs: [
        { key: 'GREETING', value: 'hello' },
        { key: 'WHO', value: 'berth' },
      ],
    });
    expect(config.command).toEqual(['echo', 'hello']);
    expect(config.args).toEqual(['berth-$(MISSING)', '$(GREETING)']);
    // KeyValue.value is bytes in the pinned CRI proto.
    expect(config.envs).toEqual([
      { key: 'GREETING', value: Buffer.from('hello') },
      { key: 'WHO', value: Buffer.from('berth') },
    ]);
  });
});
