import { describe, expect, it } from 'vitest';
import type { ContainerConfig__Output, PodSandboxConfig__Output } from '../../../api/cri/messages.js';
import { matchesLabels, toContainer, toContainerStatus, toPodSandbox, toPodSandboxStatus } from '../../../cri/runtime/to-cri.js';
import { containerRecordVersion, type ContainerRecord } from '../../../runtime/containers/container-record.js';
import { sandboxRecordVersion, type SandboxRecord } from '../../../runtime/sandbox/sandbox-record.js';

const id = (c: string): string => c.repeat(64);

function sandbox(overrides: Partial<SandboxRecord> = {}, namespaceOptions?: Record<string, unknown>): SandboxRecord {
  const config = {
    metadata: { name: 'web', namespace: 'shop', uid: 'uid-1', attempt: 2 },
    labels: { app: 'web' },
    annotations: { note: 'kept' },
    ...(namespaceOptions ? { linux: { securityContext: { namespaceOptions } } } : {}),
  } as unknown as PodSandboxConfig__Output;
  return {
    version: sandboxRecordVersion,
    id: id('a'),
    name: 'k8s_web_shop_uid-1_2',
    state: 'ready',
    createdAt: '1700000000000000000',
    config,
    runtimeHandler: '',
    dir: '/var/lib/berth/sandboxes/a',
    namespaces: {},
    hostNetwork: false,
    hostname: 'web',
    ips: ['10.244.0.5', 'fd00::5'],
    networkSetUp: true,
    resources: { resources: null, overhead: null },
    labels: config.labels,
    ...overrides,
  };
}

function container(state: ContainerRecord['state']): ContainerRecord {
  const config = {
    metadata: { name: 'main', attempt: 1 },
    labels: { 'io.kubernetes.container.name': 'main' },
    annotations: {},
    mounts: [{ containerPath: '/data', hostPath: '/srv/data', readonly: true }],
  } as unknown as ContainerConfig__Output;
  return {
    version: containerRecordVersion,
    id: id('b'),
    sandboxId: id('a'),
    name: 'k8s_main_web_shop_uid-1_2_1',
    state,
    createdAt: '1',
    startedAt: state === 'created' ? '0' : '2',
    finishedAt: state === 'exited' ? '3' : '0',
    exitCode: state === 'exited' ? 137 : 0,
    reason: state === 'exited' ? 'OOMKilled' : '',
    message: '',
    config,
    image: { requested: 'busybox', id: `sha256:${id('c')}`, ref: `registry.test/busybox@sha256:${id('d')}` },
    logPath: '/var/log/pods/shop_web_uid-1/main/1.log',
    bundleDir: '/run/berth/bundles/b',
    stopSignal: 'SIGTERM',
    resources: null,
    labels: config.labels,
  };
}

describe('runtime records → CRI messages', () => {
  it('reports a ready sandbox with its first IP as the pod IP and the others as additional', () => {
    const status = toPodSandboxStatus(sandbox());
    expect(status.state).toBe('SANDBOX_READY');
    expect(status.network).toEqual({ ip: '10.244.0.5', additionalIps: [{ ip: 'fd00::5' }] });
    expect(status.metadata).toEqual({ name: 'web', namespace: 'shop', uid: 'uid-1', attempt: 2 });
    expect(status.labels).toEqual({ app: 'web' });
    expect(status.annotations).toEqual({ note: 'kept' });
  });

  it('reports no IP for a stopped sandbox, whose addresses went back to IPAM', () => {
    const status = toPodSandboxStatus(sandbox({ state: 'notready' }));
    expect(status.state).toBe('SANDBOX_NOTREADY');
    expect(status.network).toEqual({ ip: '', additionalIps: [] });
    expect(toPodSandbox(sandbox({ state: 'notready' })).state).toBe('SANDBOX_NOTREADY');
  });

  it("reports the namespace modes asked for, and the CRI's defaults (network POD, pid CONTAINER, ipc POD) when none were", () => {
    expect(toPodSandboxStatus(sandbox()).linux?.namespaces?.options).toEqual({ network: 'POD', pid: 'CONTAINER', ipc: 'POD', targetId: '' });
    const host = toPodSandboxStatus(sandbox({}, { network: 'NODE', pid: 'POD', ipc: 'NODE' }));
    expect(host.linux?.namespaces?.options).toEqual({ network: 'NODE', pid: 'POD', ipc: 'NODE', targetId: '' });
  });

  it.each([
    ['created', 'CONTAINER_CREATED'],
    ['running', 'CONTAINER_RUNNING'],
    ['exited', 'CONTAINER_EXITED'],
  ] as const)('maps a %s container to %s in both the list and the status', (state, criState) => {
    expect(toContainer(container(state)).state).toBe(criState);
    expect(toContainerStatus(container(state)).state).toBe(criState);
  });

  it('reports the image as asked for, its id, and the digest reference; exit code, reason, mounts and log path as recorded', () => {
    const status = toContainerStatus(container('exited'));
    expect(status.image).toEqual({ image: 'busybox' });
    expect(status.imageId).toBe(`sha256:${id('c')}`);
    expect(status.imageRef).toBe(`registry.test/busybox@sha256:${id('d')}`);
    expect(status).toMatchObject({ exitCode: 137, reason: 'OOMKilled', startedAt: '2', finishedAt: '3', logPath: '/var/log/pods/shop_web_uid-1/main/1.log' });
    expect(status.mounts).toEqual([{ containerPath: '/data', hostPath: '/srv/data', readonly: true }]);
    expect(toContainer(container('running')).podSandboxId).toBe(id('a'));
  });

  it('matches a label selector only when every pair is present with the same value', () => {
    expect(matchesLabels({ a: '1', b: '2' }, {})).toBe(true);
    expect(matchesLabels({ a: '1', b: '2' }, { a: '1' })).toBe(true);
    expect(matchesLabels({ a: '1' }, { a: '1', b: '2' })).toBe(false);
    expect(matchesLabels({ a: '1' }, { a: '2' })).toBe(false);
  });
});
