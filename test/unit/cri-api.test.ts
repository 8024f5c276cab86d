import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBerthImages } from '../../api/berth/berth-images.js';
import { loadBerthContainers } from '../../api/berth/berth-containers.js';
import { loadBerthVolumes } from '../../api/berth/berth-volumes.js';
import { loadBerthNetworks } from '../../api/berth/berth-networks.js';
import { criProtoPath, loadCri } from '../../api/cri/load.js';
import { pinned } from '../harness/tools.js';

/** rpc names per service, read straight from the pinned api.proto. */
function rpcsInProto(): Map<string, string[]> {
  const services = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of readFileSync(criProtoPath(), 'utf8').split('\n')) {
    const service = /^service (\w+) \{/.exec(line);
    if (service?.[1]) {
      current = [];
      services.set(service[1], current);
    }
    const rpc = /^\s*rpc (\w+)\(/.exec(line);
    if (rpc?.[1] && current) current.push(rpc[1]);
    if (/^\}/.test(line)) current = undefined;
  }
  return services;
}

describe('generated CRI code', () => {
  it('comes from the pinned k8s.io/cri-api version (the device-plugin API from the same staging version)', () => {
    const stamp = readFileSync(join(criProtoPath(), '../VERSION'), 'utf8').trim();
    expect(stamp).toMatch(new RegExp(`^${(pinned['CRI_API_VERSION'] ?? '').replace(/\./g, '\\.')} cri deviceplugin berth-images:[0-9a-f]{16}$`));
  });

  it("loads berth's own berth.v1.Images with every rpc of api/berth/v1/images.proto", () => {
    const { service } = loadBerthImages();
    expect(Object.keys(service).sort()).toEqual(['BuildCacheLookup', 'BuildStep', 'Commit', 'History', 'Import', 'Load', 'Login', 'Prune', 'Push', 'Remove', 'Save', 'Tag']);
    expect(service['Load']?.requestStream).toBe(true);
    expect(service['Save']?.responseStream).toBe(true);
    expect(service['Tag']?.path).toBe('/berth.v1.Images/Tag');
  });

  it("loads berth's own berth.v1.Containers with every rpc of api/berth/v1/containers.proto", () => {
    const { service } = loadBerthContainers();
    expect(Object.keys(service).sort()).toEqual(['Changes', 'CopyFrom', 'CopyTo', 'Export', 'Kill', 'Rename', 'StatPath']);
    expect(service['CopyTo']?.requestStream).toBe(true);
    expect(service['CopyFrom']?.responseStream).toBe(true);
    expect(service['Kill']?.path).toBe('/berth.v1.Containers/Kill');
  });

  it("loads berth's own berth.v1.Volumes with every rpc of api/berth/v1/volumes.proto", () => {
    const { service } = loadBerthVolumes();
    expect(Object.keys(service).sort()).toEqual(['Create', 'Inspect', 'List', 'Prune', 'Remove']);
    expect(service['Create']?.path).toBe('/berth.v1.Volumes/Create');
  });

  it("loads berth's own berth.v1.Networks with every rpc of api/berth/v1/networks.proto", () => {
    const { service } = loadBerthNetworks();
    expect(Object.keys(service).sort()).toEqual(['Create', 'Inspect', 'List', 'Remove']);
    expect(service['Remove']?.path).toBe('/berth.v1.Networks/Remove');
  });

  it('defines RuntimeService and ImageService with every rpc of the proto', () => {
    const proto = rpcsInProto();
    const runtimeRpcs = proto.get('RuntimeService') ?? [];
    const imageRpcs = proto.get('ImageService') ?? [];
    // CRI v0.37 has 37 runtime rpcs and 6 image rpcs (43 in all); fewer means the parse went wrong.
    expect(runtimeRpcs.length + imageRpcs.length).toBeGreaterThanOrEqual(43);
    expect(runtimeRpcs).toEqual(expect.arrayContaining(['RunPodSandbox', 'UpdatePodSandboxResources', 'GetContainerEvents']));
    expect(imageRpcs).toEqual(['ListImages', 'StreamImages', 'ImageStatus', 'PullImage', 'RemoveImage', 'ImageFsInfo']);

    const { runtime, image } = loadCri();
    expect(Object.keys(runtime).sort()).toEqual([...runtimeRpcs].sort());
    expect(Object.keys(image).sort()).toEqual([...imageRpcs].sort());
    expect(runtime['RunPodSandbox']?.path).toBe('/runtime.v1.RuntimeService/RunPodSandbox');
    expect(image['PullImage']?.path).toBe('/runtime.v1.ImageService/PullImage');
  });

  it('generates a typed handler for every rpc', () => {
    const typesDir = join(criProtoPath(), '../types/runtime/v1');
    for (const [service, rpcs] of rpcsInProto()) {
      const source = readFileSync(join(typesDir, `${service}.ts`), 'utf8');
      const handlers = source.slice(source.indexOf(`export interface ${service}Handlers`));
      for (const rpc of rpcs) expect(handlers, `${service}.${rpc}`).toMatch(new RegExp(`\\b${rpc}: grpc\\.handle`));
    }
  });

  it('round-trips a message through the wire encoding with 64-bit values intact', () => {
    const { runtime } = loadCri();
    const method = runtime['PodSandboxStatus'];
    if (!method) throw new Error('PodSandboxStatus missing');
    const createdAt = '1732300000123456789'; // nanoseconds: beyond 2^53, must not lose precision
    const bytes = method.responseSerialize({ status: { id: 'abc', createdAt, state: 'SANDBOX_READY' } });
    const decoded = method.responseDeserialize(bytes) as { status: { id: string; createdAt: string; state: string } };
    expect(decoded.status).toMatchObject({ id: 'abc', createdAt, state: 'SANDBOX_READY' });
  });
});
