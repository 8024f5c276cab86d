import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import type { ContainerConfig } from '../../../api/cri/messages.js';
import { DevicePlugins, registrationProblem } from '../../../kubelet/devices/device-plugins.js';
import { applyAllocation } from '../../../kubelet/devices/plugin-allocation.js';

const request = { version: 'v1beta1', endpoint: 'vendor.sock', resourceName: 'vendor.example/fpga' };

describe('device-plugin registration', () => {
  it('accepts a v1beta1 plugin with an extended resource name and a socket in the directory', () => {
    expect(registrationProblem(request)).toBeUndefined();
    expect(registrationProblem({ ...request, resourceName: 'nvidia.com/gpu' })).toBeUndefined();
  });

  it.each([
    [{ version: 'v1alpha' }, /version "v1alpha" is not supported: this kubelet speaks v1beta1/],
    [{ resourceName: 'fpga' }, /not an extended resource name/],
    [{ resourceName: 'kubernetes.io/fpga' }, /reserved for Kubernetes/],
    [{ resourceName: 'devices.kubernetes.io/fpga' }, /reserved for Kubernetes/],
    [{ endpoint: '../etc/evil.sock' }, /must be the name of the plugin's socket/],
    [{ endpoint: 'kubelet.sock' }, /must be the name of the plugin's socket/],
    [{ endpoint: '' }, /must be the name of the plugin's socket/],
  ])('refuses %j', (change, problem) => {
    expect(registrationProblem({ ...request, ...change })).toMatch(problem);
  });
});

describe('applyAllocation', () => {
  const config: ContainerConfig = {
    envs: [
      { key: 'A', value: 'container' },
      { key: 'B', value: 'kept' },
    ],
    mounts: [{ containerPath: '/data', hostPath: '/srv/data' }],
    annotations: { mine: 'x' },
    CDIDevices: [{ name: 'nvidia.com/gpu=0' }],
  };

  it('adds what the plugin answered: env (its value wins), mounts, device nodes, annotations, CDI devices', () => {
    const out = applyAllocation(config, {
      envs: { A: 'plugin', VISIBLE: 'dev1' },
      mounts: [{ containerPath: '/tmp/Dev-1', hostPath: '/tmp/Dev-1', readOnly: true }],
      devices: [{ containerPath: '/dev/fpga0', hostPath: '/dev/fpga0', permissions: '' }],
      annotations: { 'vendor.example/slot': '3' },
      cdiDevices: [{ name: 'vendor.example/fpga=1' }],
    });
    expect(out.envs).toEqual([
      { key: 'B', value: 'kept' },
      { key: 'A', value: 'plugin' },
      { key: 'VISIBLE', value: 'dev1' },
    ]);
    expect(out.mounts).toEqual([config.mounts?.[0], { containerPath: '/tmp/Dev-1', hostPath: '/tmp/Dev-1', readonly: true }]);
    expect(out.devices).toEqual([{ containerPath: '/dev/fpga0', hostPath: '/dev/fpga0', permissions: 'rwm' }]);
    expect(out.annotations).toEqual({ mine: 'x', 'vendor.example/slot': '3' });
    expect(out.CDIDevices).toEqual([{ name: 'nvidia.com/gpu=0' }, { name: 'vendor.example/fpga=1' }]);
  });
});

describe('DevicePlugins without a plugin', () => {
  const plugins = new DevicePlugins({ dir: '/nonexistent', logger: silentLogger() });

  it('serves nothing and refuses an allocation with the reason', async () => {
    expect(plugins.resources()).toEqual({});
    expect(plugins.serves('vendor.example/fpga')).toBe(false);
    await expect(plugins.allocate('uid', 'main', 'vendor.example/fpga', 1)).rejects.toThrow(/no device plugin serves vendor.example\/fpga on this node/);
  });

  it('adopts the devices an earlier kubelet recorded, ignores a forged annotation, and releases them with the pod', () => {
    plugins.adopt('uid', 'main', JSON.stringify({ 'vendor.example/fpga': ['f1'] }));
    expect(plugins.annotation('uid', 'main')).toBe('{"vendor.example/fpga":["f1"]}');
    plugins.adopt('uid', 'other', '{not json');
    plugins.adopt('uid', 'third', JSON.stringify({ 'vendor.example/fpga': [1, 2] }));
    expect(plugins.annotation('uid', 'other')).toBeUndefined();
    expect(plugins.annotation('uid', 'third')).toBeUndefined();
    plugins.release('uid');
    expect(plugins.annotation('uid', 'main')).toBeUndefined();
  });
});
