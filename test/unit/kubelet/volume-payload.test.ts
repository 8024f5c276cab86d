import type { V1Pod, V1Volume } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { checkPayloadPath, volumePayload, type VolumeSources } from '../../../kubelet/volume-payload.js';

const facts = { podIp: '10.244.0.7', hostIp: '192.0.2.1', nodeCpuCores: 8, nodeMemoryBytes: 2 ** 34 };
const pod: V1Pod = {
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web', tier: 'front' }, annotations: { note: 'say "hi"' } },
  spec: { containers: [{ name: 'main', image: 'i', resources: { limits: { memory: '128Mi' } } }] },
};
const issued: string[] = [];
const sources: VolumeSources = {
  configMap: async (ns, name) =>
    ns === 'shop' && name === 'settings' ? { data: { 'app.conf': 'mode=prod\n', other: 'x' }, binaryData: { 'logo.bin': Buffer.from([0, 1, 2]).toString('base64') } } : undefined,
  secret: async (ns, name) => (ns === 'shop' && name === 'creds' ? { data: { password: Buffer.from('s3cret').toString('base64') } } : undefined),
  serviceAccountToken: async (p, audience, seconds) => {
    issued.push(`${p.metadata?.name}:${audience ?? ''}:${seconds}`);
    return 'header.payload.signature';
  },
};

async function files(volume: V1Volume): Promise<Record<string, string>> {
  const payload = await volumePayload(pod, volume, sources, facts);
  return Object.fromEntries([...payload].map(([path, file]) => [path, `${file.mode.toString(8)} ${file.data.toString('utf8')}`]));
}

describe('API-backed volume contents', () => {
  it('holds every key of a configMap, binaryData included, with the default mode', async () => {
    const payload = await volumePayload(pod, { name: 'cfg', configMap: { name: 'settings' } }, sources, facts);
    expect([...payload.keys()].sort()).toEqual(['app.conf', 'logo.bin', 'other']);
    expect(payload.get('logo.bin')?.data).toEqual(Buffer.from([0, 1, 2]));
    expect(payload.get('app.conf')?.mode).toBe(0o644);
  });

  it('maps items to paths with their modes, and fails on a missing key unless optional', async () => {
    expect(
      await files({
        name: 'cfg',
        configMap: {
          name: 'settings',
          defaultMode: 0o400,
          items: [
            { key: 'app.conf', path: 'etc/app.conf' },
            { key: 'other', path: 'o', mode: 0o600 },
          ],
        },
      }),
    ).toEqual({
      'etc/app.conf': '400 mode=prod\n',
      o: '600 x',
    });
    await expect(files({ name: 'cfg', configMap: { name: 'settings', items: [{ key: 'absent', path: 'a' }] } })).rejects.toThrow(/has no key absent/);
    expect(await files({ name: 'cfg', configMap: { name: 'settings', optional: true, items: [{ key: 'absent', path: 'a' }] } })).toEqual({});
  });

  it('decodes secrets, and an optional missing object gives an empty volume', async () => {
    expect(await files({ name: 's', secret: { secretName: 'creds' } })).toEqual({ password: '644 s3cret' });
    await expect(files({ name: 's', secret: { secretName: 'gone' } })).rejects.toThrow(/secret "gone" not found/);
    expect(await files({ name: 's', secret: { secretName: 'gone', optional: true } })).toEqual({});
  });

  it('renders downwardAPI fields, the label map sorted and quoted', async () => {
    expect(
      await files({
        name: 'info',
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
            { path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } },
            { path: 'mem', resourceFieldRef: { containerName: 'main', resource: 'limits.memory', divisor: '1Mi' } },
          ],
        },
      }),
    ).toEqual({ labels: '644 app="web"\ntier="front"', annotations: '644 note="say \\"hi\\""', ns: '644 shop', mem: '644 128' });
  });

  it('projects a bound service account token, the root CA and the namespace, as the kube-api-access volume does', async () => {
    issued.length = 0;
    const volume: V1Volume = {
      name: 'kube-api-access-x',
      projected: {
        defaultMode: 0o644,
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
          { configMap: { name: 'settings', items: [{ key: 'app.conf', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    };
    expect(await files(volume)).toEqual({ token: '644 header.payload.signature', 'ca.crt': '644 mode=prod\n', namespace: '644 shop' });
    expect(issued).toEqual(['web-1::3607']);
  });

  it("refuses item paths that leave the volume or shadow the writer's names", async () => {
    for (const path of ['../x', '/etc/passwd', 'a/../../b', '..data', '..2026_x/y', '']) expect(() => checkPayloadPath('v', path)).toThrow(/must be relative/);
    checkPayloadPath('v', 'a/b..c/d');
    await expect(files({ name: 'cfg', configMap: { name: 'settings', items: [{ key: 'other', path: '../escape' }] } })).rejects.toThrow(/must be relative/);
  });

  it('needs an API server for API objects, but not for the downward API', async () => {
    await expect(volumePayload(pod, { name: 'cfg', configMap: { name: 'settings' } }, undefined, facts)).rejects.toThrow(/needs an API server/);
    const payload = await volumePayload(pod, { name: 'd', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } }, undefined, facts);
    expect(payload.get('name')?.data.toString()).toBe('web-1');
  });
});
