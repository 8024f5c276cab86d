import { describe, expect, it } from 'vitest';
import { cniArgs, pluginEnv, pluginStdin } from '../../../cni/invocation.js';
import type { CniResult, PluginConfig } from '../../../cni/types.js';

const identity = { id: 'abc123', netnsPath: '/run/berth/sandboxes/abc123/ns/net', podName: 'web', namespace: 'default', uid: 'u-1' };
const list = { name: 'berth', cniVersion: '1.0.0' };
const prevResult: CniResult = { cniVersion: '1.0.0', ips: [{ address: '10.85.0.5/16', interface: 2 }] };

describe('CNI_ARGS', () => {
  it('carries the kubelet keys after IgnoreUnknown', () => {
    expect(cniArgs(identity)).toBe('IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=abc123;K8S_POD_UID=u-1');
  });

  it.each([
    ['a semicolon in the pod name', { podName: 'web;K8S_POD_NAME=evil' }, /K8S_POD_NAME/],
    ['an equals sign in the namespace', { namespace: 'a=b' }, /K8S_POD_NAMESPACE/],
    ['a space in the uid', { uid: 'u 1' }, /K8S_POD_UID/],
    ['a newline in the pod name', { podName: 'web\nx' }, /K8S_POD_NAME/],
  ])('refuses %s', (_name, override, expected) => {
    expect(() => cniArgs({ ...identity, ...override })).toThrow(expected);
  });
});

describe('the plugin environment', () => {
  it('names command, container, netns, interface and every bin dir', () => {
    expect(pluginEnv({ command: 'ADD', identity, ifName: 'eth0', binDirs: ['/opt/cni/bin', '/usr/lib/cni'] })).toEqual({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'abc123',
      CNI_NETNS: '/run/berth/sandboxes/abc123/ns/net',
      CNI_IFNAME: 'eth0',
      CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=abc123;K8S_POD_UID=u-1',
      CNI_PATH: '/opt/cni/bin:/usr/lib/cni',
    });
  });

  it('has only command and path for VERSION', () => {
    expect(pluginEnv({ command: 'VERSION', binDirs: ['/usr/lib/cni'] })).toEqual({ CNI_COMMAND: 'VERSION', CNI_PATH: '/usr/lib/cni' });
  });

  it.each([
    ['a slash', 'a/b'],
    ['a leading dot', '.hidden'],
    ['an empty id', ''],
  ])('refuses a container id with %s', (_name, id) => {
    expect(() => pluginEnv({ command: 'ADD', identity: { ...identity, id }, ifName: 'eth0', binDirs: [] })).toThrow(/not a valid CNI container id/);
  });
});

describe('the plugin stdin', () => {
  const portmap: PluginConfig = { type: 'portmap', capabilities: { portMappings: true }, snat: true };
  const bridge: PluginConfig = { type: 'bridge', bridge: 'berth0', name: 'stale', cniVersion: '0.3.1' };
  const mappings = [
    { hostPort: 8080, containerPort: 80, protocol: 'tcp' as const },
    { hostPort: 0, containerPort: 81, protocol: 'tcp' as const },
    { hostPort: 5353, containerPort: 53, protocol: 'udp' as const, hostIP: '127.0.0.1' },
  ];

  it('takes name and cniVersion from the list, over the plugin fields', () => {
    expect(pluginStdin(list, bridge)).toEqual({ type: 'bridge', bridge: 'berth0', name: 'berth', cniVersion: '1.0.0' });
  });

  it('chains the previous result', () => {
    expect(pluginStdin(list, portmap, { prevResult })).toMatchObject({ prevResult });
  });

  it('gives port mappings with a host port to a plugin with the portMappings capability', () => {
    expect(pluginStdin(list, portmap, { capabilityArgs: { portMappings: mappings } }).runtimeConfig).toEqual({
      portMappings: [
        { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
        { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' },
      ],
    });
  });

  it('gives no runtimeConfig to a plugin without the capability', () => {
    expect(pluginStdin(list, bridge, { capabilityArgs: { portMappings: mappings } })).not.toHaveProperty('runtimeConfig');
  });

  it('drops a runtimeConfig or prevResult written into the config file', () => {
    const planted: PluginConfig = { type: 'portmap', runtimeConfig: { portMappings: [{ hostPort: 22 }] }, prevResult: { cniVersion: 'x' } };
    const stdin = pluginStdin(list, planted);
    expect(stdin).not.toHaveProperty('runtimeConfig');
    expect(stdin).not.toHaveProperty('prevResult');
  });
});
