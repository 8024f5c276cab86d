import type { V1NodeStatus } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { MachineFacts } from '../../../kubelet/machine-facts.js';
import { parseMeminfo, parseOsReleasePrettyName } from '../../../kubelet/machine-facts.js';
import { allocatableAmounts, buildNodeStatus, nodeStatusChanged, parseReservation, type RuntimeFacts } from '../../../kubelet/node-status.js';

const GiB = 1024 ** 3;
const machine: MachineFacts = {
  hostname: 'host-1',
  cpuCount: 4,
  memoryBytes: 8 * GiB,
  memoryAvailableBytes: 6 * GiB,
  hugepages2MiBytes: 0,
  rootFsCapacityBytes: 100 * GiB,
  rootFsAvailableBytes: 60 * GiB,
  pidMax: 4_194_304,
  processCount: 200,
  kernelVersion: '6.1.0-test',
  osImage: 'Debian GNU/Linux 12 (bookworm)',
  machineId: 'machine-id-1',
  bootId: 'boot-id-1',
  architecture: 'amd64',
};
const runtime: RuntimeFacts = { containerRuntimeVersion: 'containerd://1.6.20', runtimeReady: true, networkReady: true, notReadyMessage: '' };
const config = { nodeName: 'node-a', nodeIp: '192.0.2.10', maxPods: 110, kubeletVersion: 'v0.1.0-berth' };
const now = new Date('2026-11-22T10:00:00.400Z');

const conditionOf = (status: V1NodeStatus, type: string) => status.conditions?.find((c) => c.type === type);

describe('node status', () => {
  it('reports capacity from the machine and allocatable less the hard eviction thresholds', () => {
    const status = buildNodeStatus({ config, machine, runtime, previous: undefined, now });
    expect(status.capacity).toEqual({ cpu: '4', memory: '8388608Ki', pods: '110', 'ephemeral-storage': '104857600Ki', 'hugepages-2Mi': '0Ki' });
    expect(status.allocatable).toMatchObject({ cpu: '4', memory: `${8 * 1024 * 1024 - 100 * 1024}Ki`, 'ephemeral-storage': '94371840Ki', pods: '110' });
  });

  it('leaves kube-reserved and system-reserved out of allocatable, as upstream does', () => {
    const reserving = {
      ...config,
      kubeReserved: parseReservation('cpu=500m,memory=256Mi', '--kube-reserved'),
      systemReserved: parseReservation('cpu=250m,memory=256Mi,ephemeral-storage=10Gi', '--system-reserved'),
    };
    const status = buildNodeStatus({ config: reserving, machine, runtime, previous: undefined, now });
    expect(status.capacity).toMatchObject({ cpu: '4', memory: '8388608Ki' });
    expect(status.allocatable).toMatchObject({ cpu: '3250m', memory: `${8 * 1024 * 1024 - 512 * 1024 - 100 * 1024}Ki`, 'ephemeral-storage': `${94371840 - 10 * 1024 * 1024}Ki` });
    expect(allocatableAmounts(reserving, { cpuCount: 4, memoryBytes: 8 * 2 ** 30, hugepagesBytes: 0 })).toEqual({ cpuMilli: 3250, memoryBytes: 8 * 2 ** 30 - 612 * 2 ** 20 });
  });

  it('refuses a reservation of something else, or of no quantity, naming the flag', () => {
    expect(() => parseReservation('gpu=1', '--kube-reserved')).toThrow(/--kube-reserved: "gpu" cannot be reserved/);
    expect(() => parseReservation('memory=lots', '--system-reserved')).toThrow(/--system-reserved: memory=lots is not a quantity/);
  });

  it('advertises the GPUs it found as nvidia.com/gpu in capacity and allocatable, 0 when they are gone, nothing when it knows none', () => {
    const status = buildNodeStatus({ config, machine, runtime, previous: undefined, now, extendedResources: { 'nvidia.com/gpu': 2 } });
    expect(status.capacity?.['nvidia.com/gpu']).toBe('2');
    expect(status.allocatable?.['nvidia.com/gpu']).toBe('2');
    expect(buildNodeStatus({ config, machine, runtime, previous: undefined, now, extendedResources: { 'nvidia.com/gpu': 0 } }).capacity?.['nvidia.com/gpu']).toBe('0');
    expect(buildNodeStatus({ config, machine, runtime, previous: undefined, now, extendedResources: {} }).capacity).not.toHaveProperty('nvidia.com/gpu');
  });

  it('reports addresses and nodeInfo with the runtime version as <name>://<version>', () => {
    const status = buildNodeStatus({ config, machine, runtime, previous: undefined, now });
    expect(status.addresses).toEqual([
      { type: 'InternalIP', address: '192.0.2.10' },
      { type: 'Hostname', address: 'node-a' },
    ]);
    expect(status.nodeInfo).toMatchObject({
      containerRuntimeVersion: 'containerd://1.6.20',
      kubeletVersion: 'v0.1.0-berth',
      kernelVersion: '6.1.0-test',
      osImage: 'Debian GNU/Linux 12 (bookworm)',
      machineID: 'machine-id-1',
      bootID: 'boot-id-1',
      operatingSystem: 'linux',
      architecture: 'amd64',
    });
  });

  it.each<[string, Partial<MachineFacts>, Partial<RuntimeFacts>, Record<string, string>]>([
    ['a healthy machine and runtime', {}, {}, { Ready: 'True', MemoryPressure: 'False', DiskPressure: 'False', PIDPressure: 'False' }],
    ['less than 100Mi of memory available', { memoryAvailableBytes: 50 * 1024 * 1024 }, {}, { MemoryPressure: 'True' }],
    ['less than 10 % of the root filesystem free', { rootFsAvailableBytes: 5 * GiB }, {}, { DiskPressure: 'True' }],
    ['nearly every PID in use', { pidMax: 1000, processCount: 990 }, {}, { PIDPressure: 'True' }],
    ['a runtime that is not ready', {}, { runtimeReady: false, notReadyMessage: 'RuntimeReady=false' }, { Ready: 'False' }],
    ['a runtime whose network is not ready', {}, { networkReady: false, notReadyMessage: 'NetworkReady=false' }, { Ready: 'False' }],
  ])('computes conditions from real signals: %s', (_name, machineChange, runtimeChange, expected) => {
    const status = buildNodeStatus({ config, machine: { ...machine, ...machineChange }, runtime: { ...runtime, ...runtimeChange }, previous: undefined, now });
    for (const [type, value] of Object.entries(expected)) expect(conditionOf(status, type)?.status).toBe(value);
  });

  it('says why the node is not ready', () => {
    const status = buildNodeStatus({ config, machine, runtime: { ...runtime, networkReady: false, notReadyMessage: 'NetworkReady=false reason:NetworkPluginNotReady' }, previous: undefined, now });
    expect(conditionOf(status, 'Ready')).toMatchObject({ reason: 'KubeletNotReady', message: 'NetworkReady=false reason:NetworkPluginNotReady' });
  });

  it('keeps lastTransitionTime while a condition holds and moves heartbeat times to whole seconds', () => {
    const first = buildNodeStatus({ config, machine, runtime, previous: undefined, now });
    const later = buildNodeStatus({ config, machine, runtime, previous: first, now: new Date(now.getTime() + 10_000) });
    expect(conditionOf(later, 'Ready')?.lastTransitionTime).toEqual(new Date('2026-11-22T10:00:00Z'));
    expect(conditionOf(later, 'Ready')?.lastHeartbeatTime).toEqual(new Date('2026-11-22T10:00:10Z'));
  });

  it('counts a status as unchanged when only heartbeat times moved, and changed when a condition flips', () => {
    const first = buildNodeStatus({ config, machine, runtime, previous: undefined, now });
    const same = buildNodeStatus({ config, machine, runtime, previous: first, now: new Date(now.getTime() + 10_000) });
    const flipped = buildNodeStatus({ config, machine, runtime: { ...runtime, networkReady: false }, previous: first, now: new Date(now.getTime() + 10_000) });
    expect(nodeStatusChanged(first, same)).toBe(false);
    expect(nodeStatusChanged(first, flipped)).toBe(true);
    expect(nodeStatusChanged(undefined, first)).toBe(true);
  });

  it('parses /proc/meminfo into bytes', () => {
    const values = parseMeminfo('MemTotal:        8039480 kB\nMemAvailable:    6000000 kB\nHugePages_Total:       4\nHugepagesize:       2048 kB\n');
    expect(values.get('MemTotal')).toBe(8039480 * 1024);
    expect(values.get('HugePages_Total')).toBe(4);
    expect(values.get('Hugepagesize')).toBe(2 * 1024 * 1024);
  });

  it.each([
    ['PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian"', 'Debian GNU/Linux 12 (bookworm)'],
    ["NAME=Alpine\nPRETTY_NAME='Alpine Linux v3.19'", 'Alpine Linux v3.19'],
    ['NAME=Unknown', 'Linux'],
  ])('reads the OS image from os-release %#', (text, expected) => {
    expect(parseOsReleasePrettyName(text)).toBe(expected);
  });
});
