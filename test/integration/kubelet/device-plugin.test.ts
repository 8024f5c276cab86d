// The device-plugin API with a real plugin: upstream's e2e sample device plugin (built from the
// pinned kubernetes module by setup/go-tools.sh) registers example.com/resource with two devices
// on the kubelet's socket; berth's standalone kubelet on a real berth counts them, gives each of
// two pods a device no other holds (the plugin's Allocate mounts /tmp/<device> into the
// container), refuses a third pod, and sees the devices go when the plugin stops.
// The plugin dials the well-known /var/lib/kubelet/device-plugins/kubelet.sock, so this is the one
// test that serves there.
import { execa } from 'execa';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultDevicePluginDir } from '../../../kubelet/devices/plugin-api.js';
import { eventually } from '../../harness/eventually.js';
import { goTool } from '../../harness/tools.js';
import { startStandaloneBerthNode, type StandaloneBerthNode } from './standalone-berth-node.js';

const registryHost = inject('registryHost');
const resource = 'example.com/resource';
const startPlugin = () => execa(goTool('sample-device-plugin'), [], { env: { PLUGIN_SOCK_DIR: defaultDevicePluginDir }, reject: false, all: true });
let plugin: ReturnType<typeof startPlugin> | undefined;
let node: StandaloneBerthNode | undefined;

function devicePod(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: `${registryHost}/busybox:latest`, command: ['sleep', '3600'], resources: { limits: { [resource]: '1' } } }],
    },
  });
}

beforeAll(async () => {
  node = await startStandaloneBerthNode({ name: 'devplug', registryHost, cniOctet: 212, kubelet: () => ({ devicePluginDir: defaultDevicePluginDir }) });
  plugin = startPlugin();
});

afterAll(async () => {
  plugin?.kill('SIGTERM');
  await plugin;
  await node?.stop();
  // The sample plugin's fake devices, made on the host by its Allocate.
  for (const device of ['Dev-1', 'Dev-2']) rmSync(join('/tmp', device), { force: true });
});

describe('device plugins through the kubelet (the upstream sample plugin)', () => {
  it('counts the registered devices, gives two pods one each, refuses the third, and loses them with the plugin', async () => {
    expect(await eventually(async () => (node?.kubelet.extendedResources()[resource] === 2 ? 2 : undefined))).toBe(2);
    for (const name of ['dev-a', 'dev-b', 'dev-c']) writeFileSync(join(node?.manifests ?? '', `${name}.json`), devicePod(name));

    const running = await eventually(async () => {
      const listed = (await node?.cri.listContainers({ state: { state: 'CONTAINER_RUNNING' } }))?.containers ?? [];
      return listed.length >= 2 ? listed : undefined;
    });
    const seen: string[] = [];
    for (const container of running) {
      const result = await node?.cri.execSync(container.id, ['sh', '-c', 'ls /tmp | grep -E "^Dev-[0-9]+$"'], 10);
      seen.push(
        Buffer.from(result?.stdout ?? [])
          .toString()
          .trim(),
      );
      const annotation = JSON.parse(container.annotations['berth.dev/kubelet-plugin-devices'] ?? '{}') as Record<string, string[]>;
      expect(annotation[resource]).toEqual([seen.at(-1)]);
    }
    expect(seen.sort()).toEqual(['Dev-1', 'Dev-2']);

    const refused = await eventually(async () => {
      const rejections = node?.rejections() ?? [];
      return rejections.length > 0 ? rejections : undefined;
    });
    expect(refused).toEqual([expect.objectContaining({ reason: `OutOf${resource}` })]);
    expect(new Set(((await node?.cri.listPodSandbox())?.items ?? []).map((s) => s.labels['io.kubernetes.pod.name'])).size).toBe(2);

    plugin?.kill('SIGTERM');
    const output = (await plugin)?.all ?? '';
    expect(output).toContain('Register');
    expect(await eventually(async () => (node?.kubelet.extendedResources()[resource] === 0 ? 0 : undefined))).toBe(0);
  });
});
