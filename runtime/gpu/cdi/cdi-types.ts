// The Container Device Interface spec document (github.com/cncf-tags/container-device-interface,
// SPEC.md, versions 0.3.0 to 1.1.x), as far as berth applies it. Field names are the spec's.

export interface CdiDeviceNode {
  /** Path in the container. */
  path: string;
  /** Path on the host; defaults to `path`. */
  hostPath?: string;
  /** "c", "b" or "p"; filled from the host node when absent. */
  type?: string;
  major?: number;
  minor?: number;
  /** A Go os.FileMode; only its permission bits are used. */
  fileMode?: number;
  /** Device cgroup access, letters of "rwm"; default "rwm". */
  permissions?: string;
  uid?: number;
  gid?: number;
}

export interface CdiMount {
  hostPath: string;
  containerPath: string;
  options?: string[];
  type?: string;
}

export const cdiHookNames = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
export type CdiHookName = (typeof cdiHookNames)[number];

export interface CdiHook {
  hookName: CdiHookName;
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export interface CdiContainerEdits {
  env?: string[];
  deviceNodes?: CdiDeviceNode[];
  mounts?: CdiMount[];
  hooks?: CdiHook[];
  additionalGids?: number[];
}

export interface CdiDevice {
  name: string;
  annotations?: Record<string, string>;
  containerEdits: CdiContainerEdits;
}

export interface CdiSpec {
  cdiVersion: string;
  /** "vendor/class", e.g. "nvidia.com/gpu". */
  kind: string;
  annotations?: Record<string, string>;
  devices: CdiDevice[];
  containerEdits?: CdiContainerEdits;
}

/** The directories CDI specs are read from, lowest priority first (the later wins). */
export const defaultCdiSpecDirs: readonly string[] = ['/etc/cdi', '/var/run/cdi'];

/** Where berth writes the specs it generates: the runtime directory, rebuilt at boot. */
export const defaultCdiOutputDir = '/var/run/cdi';
