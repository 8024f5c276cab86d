// What a device plugin's Allocate answer does to a container's CRI config, as the upstream
// kubelet applies it: its env after the container's own, its mounts and device nodes added, its
// annotations merged, its CDI devices named for the runtime to resolve.
import type { ContainerConfig } from '../../api/cri/messages.js';
import type { ContainerAllocateResponse__Output } from './plugin-api.js';

export function applyAllocation(config: ContainerConfig, allocation: ContainerAllocateResponse__Output): ContainerConfig {
  const envs = [...(config.envs ?? [])];
  for (const [key, value] of Object.entries(allocation.envs)) {
    const existing = envs.findIndex((env) => env.key === key);
    if (existing >= 0) envs.splice(existing, 1);
    envs.push({ key, value });
  }
  return {
    ...config,
    envs,
    mounts: [...(config.mounts ?? []), ...allocation.mounts.map((m) => ({ containerPath: m.containerPath, hostPath: m.hostPath, readonly: m.readOnly }))],
    devices: [...(config.devices ?? []), ...allocation.devices.map((d) => ({ containerPath: d.containerPath, hostPath: d.hostPath, permissions: d.permissions || 'rwm' }))],
    annotations: { ...config.annotations, ...allocation.annotations },
    CDIDevices: [...(config.CDIDevices ?? []), ...allocation.cdiDevices.map((device) => ({ name: device.name }))],
  };
}
