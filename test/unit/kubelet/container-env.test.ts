// The env rules of the upstream kubelet, on in-memory API objects (the API itself is exercised
// by the e2e suite against a real kube-apiserver).
import type { V1ConfigMap, V1Container, V1Pod, V1Secret, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { containerEnv, expandVars, serviceEnv, type EnvSources } from '../../../kubelet/container-env.js';

const facts = { podIp: '10.244.0.7', hostIp: '192.0.2.1', nodeCpuCores: 8, nodeMemoryBytes: 16 * 2 ** 30 };

function sources(objects: { configMaps?: Record<string, V1ConfigMap>; secrets?: Record<string, V1Secret>; services?: Record<string, V1Service[]> }): EnvSources {
  return {
    configMap: async (ns, name) => objects.configMaps?.[`${ns}/${name}`],
    secret: async (ns, name) => objects.secrets?.[`${ns}/${name}`],
    services: async (ns) => objects.services?.[ns] ?? [],
  };
}

function pod(container: Partial<V1Container>, spec: Partial<NonNullable<V1Pod['spec']>> = {}): V1Pod {
  return {
    metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' } },
    spec: { nodeName: 'node-a', serviceAccountName: 'builder', containers: [{ name: 'main', image: 'i', ...container }], ...spec },
  };
}

const kubernetes: V1Service = { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } };

describe('$(VAR) expansion', () => {
  const lookup = (name: string) => ({ A: 'x', B: 'y' })[name];
  it('replaces known names, keeps unknown ones and unclosed references, and unescapes $$', () => {
    expect(expandVars('$(A)-$(B)', lookup)).toBe('x-y');
    expect(expandVars('$(C) $(A', lookup)).toBe('$(C) $(A');
    expect(expandVars('$$(A) $$ $', lookup)).toBe('$(A) $ $');
    expect(expandVars('cost: $5', lookup)).toBe('cost: $5');
  });
});

describe('service variables', () => {
  it('are docker-links style, per port, and skip headless services', () => {
    const env = serviceEnv([
      {
        metadata: { name: 'my-db' },
        spec: {
          clusterIP: '10.96.3.4',
          ports: [
            { name: 'sql', port: 5432 },
            { port: 53, protocol: 'UDP' },
          ],
        },
      },
      { metadata: { name: 'headless' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
    ]);
    expect(Object.fromEntries(env)).toEqual({
      MY_DB_SERVICE_HOST: '10.96.3.4',
      MY_DB_SERVICE_PORT: '5432',
      MY_DB_SERVICE_PORT_SQL: '5432',
      MY_DB_PORT: 'tcp://10.96.3.4:5432',
      MY_DB_PORT_5432_TCP: 'tcp://10.96.3.4:5432',
      MY_DB_PORT_5432_TCP_PROTO: 'tcp',
      MY_DB_PORT_5432_TCP_PORT: '5432',
      MY_DB_PORT_5432_TCP_ADDR: '10.96.3.4',
      MY_DB_PORT_53_UDP: 'udp://10.96.3.4:53',
      MY_DB_PORT_53_UDP_PROTO: 'udp',
      MY_DB_PORT_53_UDP_PORT: '53',
      MY_DB_PORT_53_UDP_ADDR: '10.96.3.4',
    });
  });
});

describe('container env', () => {
  const objects = {
    configMaps: { 'shop/settings': { data: { MODE: 'prod', 'bad key': 'x', LEVEL: 'debug' } } },
    secrets: { 'shop/creds': { data: { password: Buffer.from('s3cret').toString('base64') } } },
    services: { default: [kubernetes], shop: [{ metadata: { name: 'cart' }, spec: { clusterIP: '10.96.9.9', ports: [{ port: 80 }] } }] },
  };

  it('resolves envFrom, then env in order with references expanded, then the service variables', async () => {
    const p = pod({
      envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'APP_' }],
      env: [
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'MODE' } } },
        { name: 'URL', value: 'https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)/$(MODE)' },
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      ],
    });
    const env = await containerEnv(p, p.spec!.containers[0]!, sources(objects), facts);
    const map = Object.fromEntries(env.map(({ key, value }) => [key, value]));
    expect(env.slice(0, 2).map((e) => e.key)).toEqual(['APP_MODE', 'APP_LEVEL']);
    expect(map).toMatchObject({
      APP_MODE: 'prod',
      PASSWORD: 's3cret',
      MODE: 'prod',
      URL: 'https://10.96.0.1:443/prod',
      POD: 'web-1',
      POD_IP: '10.244.0.7',
      APP: 'web',
      SA: 'builder',
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      CART_SERVICE_HOST: '10.96.9.9',
    });
    expect(map).not.toHaveProperty('APP_bad key');
  });

  it('gives only the API service when enableServiceLinks is false', async () => {
    const p = pod({}, { enableServiceLinks: false });
    const keys = (await containerEnv(p, p.spec!.containers[0]!, sources(objects), facts)).map((e) => e.key);
    expect(keys).toContain('KUBERNETES_SERVICE_HOST');
    expect(keys).not.toContain('CART_SERVICE_HOST');
  });

  it('renders resource fields with their divisor, and node capacity for an unset limit', async () => {
    const p = pod({
      resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } },
      env: [
        { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
        { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      ],
    });
    const env = await containerEnv(p, p.spec!.containers[0]!, undefined, facts);
    expect(env).toEqual([
      { key: 'MEM_MI', value: '64' },
      { key: 'CPU_M', value: '250' },
      { key: 'CPU', value: '1' },
      { key: 'CPU_LIMIT', value: '8' },
    ]);
  });

  it('reads a zero divisor (how the API server writes an unset one) as 1, as upstream does', async () => {
    const p = pod({
      resources: { limits: { cpu: '1250m', memory: '64Mi' } },
      env: [
        { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '0' } } },
        { name: 'MEM_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '0' } } },
      ],
    });
    const env = await containerEnv(p, p.spec!.containers[0]!, undefined, facts);
    expect(env).toEqual([
      { key: 'CPU_LIMIT', value: '2' },
      { key: 'MEM_LIMIT', value: String(64 * 1024 * 1024) },
    ]);
  });

  it('fails on a missing object or key unless optional, naming it', async () => {
    const missing = (env: NonNullable<V1Container['env']>) => {
      const p = pod({ env });
      return containerEnv(p, p.spec!.containers[0]!, sources(objects), facts);
    };
    await expect(missing([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }])).rejects.toThrow(/configmap "nope" not found/);
    await expect(missing([{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'user' } } }])).rejects.toThrow(/couldn't find key user in Secret shop\/creds/);
    await expect(missing([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } }])).resolves.not.toContainEqual(expect.objectContaining({ key: 'X' }));
    await expect(missing([{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.containers' } } }])).rejects.toThrow(/not a field the downward API offers/);
  });

  it('says an API server is needed when standalone', async () => {
    const p = pod({ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }] });
    await expect(containerEnv(p, p.spec!.containers[0]!, undefined, facts)).rejects.toThrow(/needs an API server/);
  });
});
