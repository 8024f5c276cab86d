import type { V1Node, V1NodeStatus } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import { defaultTimings } from '../../../kubelet/config.js';
import type { MachineFacts } from '../../../kubelet/machine-facts.js';
import { NodeStatusReporter } from '../../../kubelet/node-status.js';
import { RecordingCri } from './recording-cri.js';

const machine: MachineFacts = {
  hostname: 'h',
  cpuCount: 2,
  memoryBytes: 4 * 1024 ** 3,
  memoryAvailableBytes: 3 * 1024 ** 3,
  hugepages2MiBytes: 0,
  rootFsCapacityBytes: 50 * 1024 ** 3,
  rootFsAvailableBytes: 40 * 1024 ** 3,
  pidMax: 32768,
  processCount: 100,
  kernelVersion: '6.1',
  osImage: 'Debian',
  machineId: 'm',
  bootId: 'b',
  architecture: 'amd64',
};

function setup() {
  const posted: V1NodeStatus[] = [];
  const registered: V1Node[] = [];
  let now = Date.parse('2026-11-22T10:00:00Z');
  let facts = machine;
  const cri = new RecordingCri().port();
  cri.status = async () => ({
    status: {
      conditions: [
        { type: 'RuntimeReady', status: true, reason: '', message: '' },
        { type: 'NetworkReady', status: true, reason: '', message: '' },
      ],
    },
    info: {},
    runtimeHandlers: [],
    features: null,
  });
  const reporter = new NodeStatusReporter({
    api: {
      registerNode: async (node) => {
        registered.push(node);
        return { ...node, metadata: { ...node.metadata, uid: 'node-uid' } };
      },
      patchNodeStatus: async (_name, status) => void posted.push(status),
      readNode: async (name) => ({ metadata: { name }, spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }] } }),
    },
    cri,
    config: { nodeName: 'node-a', nodeIp: '192.0.2.10', maxPods: 110, kubeletVersion: 'v0', timings: defaultTimings },
    readMachine: async () => facts,
    logger: silentLogger(),
    now: () => new Date(now),
  });
  return {
    reporter,
    posted,
    registered,
    advance: (ms: number) => (now += ms),
    setFacts: (next: Partial<MachineFacts>) => (facts = { ...machine, ...next }),
  };
}

describe('node status reporter', () => {
  it('registers the Node with the kubernetes.io labels and posts its first status', async () => {
    const { reporter, registered, posted } = setup();
    const node = await reporter.register();
    expect(node.metadata?.uid).toBe('node-uid');
    expect(registered[0]?.metadata?.labels).toEqual({
      'kubernetes.io/hostname': 'node-a',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': 'amd64',
    });
    expect(posted).toHaveLength(1);
  });

  it('posts again only when the status changed or 5 minutes passed', async () => {
    const { reporter, posted, advance, setFacts } = setup();
    await reporter.register();
    advance(10_000);
    expect(await reporter.tick()).toBe('unchanged');
    setFacts({ memoryAvailableBytes: 10 * 1024 * 1024 });
    advance(10_000);
    expect(await reporter.tick()).toBe('posted');
    advance(10_000);
    expect(await reporter.tick()).toBe('unchanged');
    advance(5 * 60_000);
    expect(await reporter.tick()).toBe('posted');
    expect(posted.map((s) => s.conditions?.find((c) => c.type === 'MemoryPressure')?.status)).toEqual(['False', 'True', 'True']);
  });

  it('knows the taints the Node has in the API after each status round', async () => {
    const { reporter } = setup();
    await reporter.register();
    expect(reporter.taints()).toEqual([]);
    await reporter.tick();
    expect(reporter.taints()).toEqual([{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }]);
  });
});
