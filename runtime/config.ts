// The runtime's configuration, parsed and validated once at start (cli/) and passed down.
import type { CgroupDriver } from '../common/systemd/slice-names.js';

export type OciRuntimeName = 'runc' | 'crun';

export interface RuntimeConfig {
  /** CRI unix socket. */
  socketPath: string;
  /** Persistent state: content store, snapshots, image and sandbox/container records. */
  rootDir: string;
  /** Volatile state: bundles, conmon sockets, pinned namespaces; lost on reboot. */
  stateDir: string;
  /** Explicit choice, or undefined to pick (crun on pure cgroup v2, else runc). */
  ociRuntime: OciRuntimeName | undefined;
  /** host[:port] reached over plain HTTP. */
  insecureRegistries: string[];
  /** registry host → mirror endpoint URL, e.g. "registry.k8s.io" → "http://127.0.0.1:5000". */
  registryMirrors: Record<string, string>;
  cniConfDir: string;
  cniBinDirs: string[];
  /** Where NVIDIA GPUs are discovered and CDI specs are read and written. */
  devices: DeviceConfig;
  /** Most bytes one image layer may decompress to (the free space bounds it further); default 32 GiB. */
  maxLayerBytes?: number;
  /** Each container's pids.max; absent: no limit (the kubelet may still limit the pod). */
  pidsLimit?: number | undefined;
  /**
   * Who makes the pod and container cgroups: berth in cgroupfs (the default), or systemd (pod
   * slices, container scopes; runc --systemd-cgroup). Answered to the kubelet in RuntimeConfig.
   */
  cgroupDriver?: CgroupDriver;
}

export interface DeviceConfig {
  /** The user-space driver (libraries, binaries, firmware); "/" on a normal host. */
  gpuDriverRoot: string;
  /** The kernel's view (dev/, proc/, sys/); "/" on a normal host. */
  gpuDeviceRoot: string;
  /** CDI spec directories, lowest priority first. */
  cdiSpecDirs: string[];
  /** Where berth writes the CDI spec of the GPUs it finds (one of cdiSpecDirs). */
  cdiOutputDir: string;
}
