// --max-layer-size: a Kubernetes quantity, parsed once into RuntimeConfig.maxLayerBytes.
import { describe, expect, it } from 'vitest';
import { runtimeConfigFromFlags, type RuntimeFlags } from '../../../cli/runtime-options.js';

const flags: RuntimeFlags = {
  socket: '/run/berth/berth.sock',
  rootDir: '/var/lib/berth',
  stateDir: '/run/berth',
  insecureRegistry: [],
  registryMirror: [],
  cniConfDir: '/etc/cni/net.d',
  cniBinDir: '/usr/lib/cni',
  streamAddress: '127.0.0.1',
  streamPort: 0,
  metricsAddress: '',
  gpuDriverRoot: '/',
  gpuDeviceRoot: '/',
  cdiSpecDir: [],
  logLevel: 'info',
};

describe('--max-layer-size', () => {
  it('defaults to 32 GiB', () => {
    expect(runtimeConfigFromFlags(flags).maxLayerBytes).toBe(32 * 1024 ** 3);
  });

  it.each([
    ['500Mi', 500 * 1024 ** 2],
    ['1G', 1e9],
    ['67108864', 64 * 1024 ** 2],
  ])('reads %s as %d bytes', (text, bytes) => {
    expect(runtimeConfigFromFlags({ ...flags, maxLayerSize: text }).maxLayerBytes).toBe(bytes);
  });

  it.each(['0', '-1Gi', 'lots', '1.5'])('refuses %s', (text) => {
    expect(() => runtimeConfigFromFlags({ ...flags, maxLayerSize: text })).toThrow(/--max-layer-size .*: expected a positive size in bytes/);
  });
});
