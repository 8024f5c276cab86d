import type { V1Pod } from '@kubernetes/client-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultPullPolicy, readManifestDir, staticPodFromManifest } from '../../../kubelet/static-pods.js';
import { mirrorPodFor } from '../../../kubelet/mirror-pods.js';
import { extendedRequests } from '../../../kubelet/admission.js';
import { packageRoot } from '../../../common/package-root.js';

const seen = new Date('2026-11-22T10:00:00Z');
const manifest = (): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'etcd', labels: { tier: 'control-plane' } },
  spec: { containers: [{ name: 'etcd', image: 'registry.test/etcd:3.5' }] },
});
const build = (m: unknown, at = seen) => staticPodFromManifest(m, { nodeName: 'node-a', where: 'etcd.yaml', seen: at });

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('static pods', () => {
  it('suffixes the pod name with the node name and binds the pod to the node', () => {
    const pod = build(manifest());
    expect(pod.metadata?.name).toBe('etcd-node-a');
    expect(pod.metadata?.namespace).toBe('default');
    expect(pod.spec?.nodeName).toBe('node-a');
  });

  it('annotates the source, the content hash and when it was first seen; the uid is the hash', () => {
    const pod = build(manifest());
    expect(pod.metadata?.annotations).toMatchObject({
      'kubernetes.io/config.source': 'file',
      'kubernetes.io/config.hash': expect.stringMatching(/^[0-9a-f]{32}$/),
      'kubernetes.io/config.seen': '2026-11-22T10:00:00.000Z',
    });
    expect(pod.metadata?.uid).toBe(pod.metadata?.annotations?.['kubernetes.io/config.hash']);
  });

  it('hashes the same content the same whenever it is seen, and different content differently', () => {
    const changed = { ...manifest(), spec: { containers: [{ name: 'etcd', image: 'registry.test/etcd:3.6' }] } };
    expect(build(manifest()).metadata?.uid).toBe(build(manifest(), new Date('2030-01-01T00:00:00Z')).metadata?.uid);
    expect(build(changed).metadata?.uid).not.toBe(build(manifest()).metadata?.uid);
  });

  it('applies the API defaults the pod would get: restart policy, DNS policy, grace period, pull policy, NoExecute toleration', () => {
    const pod = build(manifest());
    expect(pod.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30 });
    expect(pod.spec?.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    expect(pod.spec?.tolerations).toContainEqual({ operator: 'Exists', effect: 'NoExecute' });
  });

  it.each([
    ['busybox', 'Always'],
    ['busybox:latest', 'Always'],
    ['127.0.0.1:5000/busybox', 'Always'],
    ['127.0.0.1:5000/busybox:1.36', 'IfNotPresent'],
    ['busybox@sha256:0123', 'IfNotPresent'],
  ])('defaults the pull policy of %s to %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });

  it.each<[string, unknown, RegExp]>([
    ['a list instead of an object', [manifest()], /not a pod manifest/],
    ['a Deployment', { ...manifest(), kind: 'Deployment' }, /is not a v1 Pod/],
    ['no name', { ...manifest(), metadata: {} }, /metadata.name/],
    ['a name with a slash', { ...manifest(), metadata: { name: '../etc' } }, /metadata.name/],
    ['an invalid namespace', { ...manifest(), metadata: { name: 'a', namespace: 'Kube System' } }, /namespace/],
    ['no containers', { ...manifest(), spec: { containers: [] } }, /at least one container/],
    ['a container without an image', { ...manifest(), spec: { containers: [{ name: 'c' }] } }, /has no image/],
    [
      'two containers with one name',
      {
        ...manifest(),
        spec: {
          containers: [
            { name: 'c', image: 'i' },
            { name: 'c', image: 'i' },
          ],
        },
      },
      /appears twice/,
    ],
    ['a bad restart policy', { ...manifest(), spec: { ...manifest().spec, restartPolicy: 'Sometimes' } }, /restartPolicy/],
  ])('refuses a manifest with %s', (_name, input, error) => {
    expect(() => build(input)).toThrow(error);
  });

  it('reads every valid manifest of a directory, skipping hidden files and reporting bad ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-static-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'etcd.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd\nspec:\n  containers:\n    - name: etcd\n      image: registry.test/etcd:3.5\n');
    writeFileSync(join(dir, 'web.json'), JSON.stringify({ ...manifest(), metadata: { name: 'web' } }));
    writeFileSync(join(dir, '.swap.yaml'), 'garbage: [');
    writeFileSync(join(dir, 'broken.yaml'), 'kind: Pod\nmetadata: {}\n');
    const result = await readManifestDir(dir, 'node-a', new Map(), seen);
    expect(result.pods.map((p) => p.metadata?.name)).toEqual(['etcd-node-a', 'web-node-a']);
    expect(result.errors).toEqual([expect.stringContaining('broken.yaml')]);
  });

  it('makes a mirror pod owned by the Node that carries the hash as the mirror annotation and no uid', () => {
    const pod = build(manifest());
    const mirror = mirrorPodFor(pod, { name: 'node-a', uid: 'node-uid' });
    expect(mirror.metadata?.uid).toBeUndefined();
    expect(mirror.metadata?.annotations?.['kubernetes.io/config.mirror']).toBe(pod.metadata?.uid);
    expect(mirror.metadata?.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: 'node-uid', controller: true }]);
    expect(mirror.spec?.nodeName).toBe('node-a');
  });
});

describe('the example manifests', () => {
  it('are pods the kubelet reads, the GPU example asking for one nvidia.com/gpu that admission counts', async () => {
    const read = await readManifestDir(join(packageRoot(), 'manifests/examples'), 'node-a', new Map(), new Date(0));
    const gpu = read.pods.find((p) => p.metadata?.name === 'gpu-smi-node-a');
    // YAML reads the quantity as a number; the kubelet takes either form.
    expect(String(gpu?.spec?.containers[0]?.resources?.limits?.['nvidia.com/gpu'])).toBe('1');
    expect(extendedRequests(gpu ?? {})).toEqual({ 'nvidia.com/gpu': 1 });
  });
});
