// The compose project after loading, interpolation, merging and normalization: every short form
// (list or map environment, string or list command, short or long port and volume syntax) is
// already one shape here, relative paths are absolute, and names are the project's. Everything
// after normalization (up, down, ps, config) reads only this.

export interface PortSpec {
  /** "" binds every address, as docker's default 0.0.0.0. */
  hostIp: string;
  published: number;
  target: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

export type VolumeMount =
  | { type: 'bind'; source: string; target: string; readOnly: boolean }
  /** `source` is the key under top-level volumes:, "" for an anonymous volume. */
  | { type: 'volume'; source: string; target: string; readOnly: boolean };

export interface BuildSpec {
  context: string;
  dockerfile: string;
  args: Record<string, string>;
  target?: string;
}

export interface Healthcheck {
  /** What runs in the container: ["CMD", ...] as an argv, CMD-SHELL through /bin/sh -c. */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface Dependency {
  condition: DependencyCondition;
  required: boolean;
}

export interface ServiceNetwork {
  /** The key under top-level networks:. */
  name: string;
  aliases: string[];
}

export type RestartPolicy = 'no' | 'always' | 'unless-stopped' | `on-failure${string}`;

export interface ComposeService {
  name: string;
  image: string;
  /** The image is made by `berth build` from this, tagged `image`. */
  build?: BuildSpec;
  /** The image name was derived (<project>-<service>), so `down --rmi local` removes it. */
  imageDerived: boolean;
  containerName: string;
  command?: string[];
  entrypoint?: string[];
  environment: Record<string, string>;
  workingDir?: string;
  user?: string;
  hostname?: string;
  ports: PortSpec[];
  volumes: VolumeMount[];
  dependsOn: Record<string, Dependency>;
  /** links: target service → the extra names this service knows it by. */
  links: Record<string, string[]>;
  networkMode?: 'host' | 'none' | 'bridge';
  networks: ServiceNetwork[];
  restart: RestartPolicy;
  labels: Record<string, string>;
  cpus?: string;
  memory?: string;
  /** docker's --gpus syntax, from deploy.resources.reservations.devices. */
  gpus?: string;
  healthcheck?: Healthcheck;
  /** stop_grace_period: how long stop waits before KILL (docker's 10 s when unset). */
  stopTimeoutSeconds?: number;
  privileged: boolean;
  readOnly: boolean;
  pullPolicy: 'missing' | 'always' | 'never' | 'build';
}

export interface ComposeNetwork {
  /** The name berth knows it by: <project>_<key>, or `name:`, or the external network's. */
  name: string;
  external: boolean;
  subnet?: string;
  gateway?: string;
  labels: Record<string, string>;
}

export interface ComposeVolume {
  name: string;
  external: boolean;
  labels: Record<string, string>;
}

export interface ComposeProject {
  name: string;
  workingDir: string;
  configFiles: string[];
  services: Record<string, ComposeService>;
  networks: Record<string, ComposeNetwork>;
  volumes: Record<string, ComposeVolume>;
}

/** `fields` without its undefined entries, for optional properties under exactOptionalPropertyTypes. */
export function definedFields<T extends object>(fields: { [K in keyof T]?: T[K] | undefined }): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
