// Pod → CRI configuration, pure: what RunPodSandbox and CreateContainer receive for a pod. The
// labels, log layout and DNS rules are the upstream kubelet's, because runtimes, log collectors
// and crictl users rely on them.
import { totalmem } from 'node:os';
import { join } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { InvalidArgumentError } from '../common/errors.js';
import type { ContainerConfig, DNSConfig, Mount, NamespaceOption, PodSandboxConfig, PortMapping } from '../api/cri/messages.js';
import type { KubeletConfig } from './config.js';
import { expandVars } from './container-env.js';
import { containerNameLabel, podNameLabel, podNamespaceLabel, podUidLabel } from './cri-port.js';
import { containerResources } from './resources.js';
import { podCgroupParent, podCgroupResources, podOverheadResources } from './pod-cgroup.js';
import { defaultTerminationMessagePath, terminationMessagePathAnnotation, terminationMessagePolicyAnnotation } from './termination-message.js';
import { containerSecurityContext, sandboxSecurityContext, type SecurityOptions } from './security-context.js';

export type PodConfigOptions = Pick<KubeletConfig, 'podLogsDir' | 'cgroupParent' | 'clusterDns' | 'clusterDomain' | 'rootDir'> & Partial<Pick<KubeletConfig, 'cgroupDriver'>>;

/** Where Localhost seccomp profiles are looked up, as upstream's --seccomp-profile-root default. */
export function securityOptions(options: Pick<KubeletConfig, 'rootDir'>): SecurityOptions {
  return { seccompProfileRoot: join(options.rootDir, 'seccomp') };
}

export interface PodIdentity {
  name: string;
  namespace: string;
  uid: string;
}

export function podIdentity(pod: V1Pod): PodIdentity {
  const name = pod.metadata?.name;
  const namespace = pod.metadata?.namespace ?? 'default';
  const uid = pod.metadata?.uid;
  if (!name || !uid) throw new InvalidArgumentError(`pod ${namespace}/${name ?? '?'} has no name or uid`);
  return { name, namespace, uid };
}

/** <podLogsDir>/<namespace>_<name>_<uid>: where the runtime writes this pod's container logs. */
export function podLogDirectory(podLogsDir: string, pod: PodIdentity): string {
  // The directory is created and later removed recursively: no part may reach outside podLogsDir
  // (an orphan's name comes from the runtime, not from a validated API object).
  for (const part of [pod.namespace, pod.name, pod.uid]) {
    if (part === '' || part.includes('/') || part.includes('\0') || part === '.' || part === '..') {
      throw new InvalidArgumentError(`pod ${pod.namespace}/${pod.name} (${pod.uid}): ${JSON.stringify(part)} cannot name a log directory`);
    }
  }
  return `${podLogsDir.replace(/\/+$/, '')}/${pod.namespace}_${pod.name}_${pod.uid}`;
}

/** <container>/<restartCount>.log, relative to the sandbox's log directory. */
export function containerLogPath(containerName: string, restartCount: number): string {
  return `${containerName}/${restartCount}.log`;
}

export function podLabels(pod: V1Pod): Record<string, string> {
  const id = podIdentity(pod);
  return { ...pod.metadata?.labels, [podNameLabel]: id.name, [podNamespaceLabel]: id.namespace, [podUidLabel]: id.uid };
}

/**
 * The resolver configuration the pod gets, or null for "the runtime's default" (the host's
 * resolv.conf). Policies as upstream: ClusterFirst uses the cluster DNS when one is configured
 * (and falls back to Default when not, or on hostNetwork), None uses only spec.dnsConfig.
 */
export function podDnsConfig(pod: V1Pod, options: Pick<PodConfigOptions, 'clusterDns' | 'clusterDomain'>): DNSConfig | null {
  const spec = pod.spec;
  const policy = spec?.dnsPolicy ?? 'ClusterFirst';
  const extra = spec?.dnsConfig;
  const hostNetwork = spec?.hostNetwork ?? false;
  const useCluster = options.clusterDns.length > 0 && ((policy === 'ClusterFirst' && !hostNetwork) || policy === 'ClusterFirstWithHostNet');
  let base: { servers: string[]; searches: string[]; options: string[] } | undefined;
  if (policy === 'None') base = { servers: [], searches: [], options: [] };
  else if (useCluster) {
    const namespace = pod.metadata?.namespace ?? 'default';
    const domain = options.clusterDomain;
    base = { servers: [...options.clusterDns], searches: [`${namespace}.svc.${domain}`, `svc.${domain}`, domain], options: ['ndots:5'] };
  }
  if (!base && !extra) return null;
  base ??= { servers: [], searches: [], options: [] };
  const merged = {
    servers: [...base.servers, ...(extra?.nameservers ?? [])],
    searches: [...base.searches, ...(extra?.searches ?? [])],
    options: [...base.options],
  };
  for (const option of extra?.options ?? []) {
    const rendered = option.value === undefined ? (option.name ?? '') : `${option.name ?? ''}:${option.value}`;
    const name = option.name ?? '';
    const at = merged.options.findIndex((o) => o.split(':')[0] === name);
    if (at >= 0) merged.options[at] = rendered;
    else merged.options.push(rendered);
  }
  // resolv.conf limits: 3 name servers, 32 search domains (glibc ignores the rest anyway).
  return { servers: [...new Set(merged.servers)].slice(0, 3), searches: [...new Set(merged.searches)].slice(0, 32), options: merged.options };
}

export function podPortMappings(pod: V1Pod): PortMapping[] {
  const mappings: PortMapping[] = [];
  for (const container of pod.spec?.containers ?? []) {
    for (const port of container.ports ?? []) {
      if (!port.hostPort) continue;
      const protocol = port.protocol ?? 'TCP';
      if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') {
        throw new InvalidArgumentError(`container ${container.name} port ${port.containerPort}: protocol ${protocol} is not TCP, UDP or SCTP`);
      }
      mappings.push({ protocol, containerPort: port.containerPort, hostPort: port.hostPort, hostIp: port.hostIP ?? '' });
    }
  }
  return mappings;
}

/**
 * Which namespaces the pod shares with the node or among its containers. The sandbox and every
 * container must say the same: a container that omits it gets the CRI default (POD pid), which
 * silently shares one pid namespace (and makes the pause process every container's init).
 */
export function namespaceOptions(pod: V1Pod): NamespaceOption {
  const spec = pod.spec;
  return {
    network: spec?.hostNetwork ? 'NODE' : 'POD',
    pid: spec?.hostPID ? 'NODE' : spec?.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: spec?.hostIPC ? 'NODE' : 'POD',
  };
}

export function sandboxConfig(pod: V1Pod, attempt: number, options: PodConfigOptions): PodSandboxConfig {
  const id = podIdentity(pod);
  const spec = pod.spec;
  const hostname = (spec?.hostname ?? id.name).slice(0, 63).replace(/[-.]+$/, '');
  const overhead = podOverheadResources(pod);
  return {
    metadata: { name: id.name, namespace: id.namespace, uid: id.uid, attempt },
    hostname: spec?.hostNetwork ? '' : hostname,
    logDirectory: podLogDirectory(options.podLogsDir, id),
    dnsConfig: podDnsConfig(pod, options),
    portMappings: podPortMappings(pod),
    labels: podLabels(pod),
    annotations: { ...pod.metadata?.annotations },
    linux: {
      cgroupParent: podCgroupParent(pod, options.cgroupParent, options.cgroupDriver),
      resources: podCgroupResources(pod),
      ...(overhead ? { overhead } : {}),
      securityContext: sandboxSecurityContext(pod, namespaceOptions(pod), securityOptions(options)),
      sysctls: Object.fromEntries((spec?.securityContext?.sysctls ?? []).map((s) => [s.name, s.value])),
    },
  };
}

export interface ContainerConfigExtras {
  /** The container's volume mounts, resolved on the node. */
  mounts?: Mount[];
  /** The container's environment, resolved (container-env.ts); its $(VAR)s expand command and args. */
  envs?: { key: string; value: string }[];
  /** The node's memory, for the Burstable oom_score_adj. */
  memoryCapacityBytes?: number;
  /** Where Localhost seccomp profiles live; without it such a profile cannot be asked for. */
  security?: SecurityOptions;
}

export function containerConfig(pod: V1Pod, container: V1Container, restartCount: number, extras: ContainerConfigExtras = {}): ContainerConfig {
  const id = podIdentity(pod);
  const envs = extras.envs ?? (container.env ?? []).map((variable) => ({ key: variable.name, value: variable.value ?? '' }));
  const byName = new Map(envs.map(({ key, value }) => [key, value]));
  const expand = (text: string): string => expandVars(text, (name) => byName.get(name));
  return {
    metadata: { name: container.name, attempt: restartCount },
    image: { image: container.image ?? '' },
    command: (container.command ?? []).map(expand),
    args: (container.args ?? []).map(expand),
    workingDir: container.workingDir ?? '',
    // KeyValue.value is bytes in the pinned CRI: a string would be read as base64.
    envs: envs.map(({ key, value }) => ({ key, value: Buffer.from(value, 'utf8') })),
    labels: { [podNameLabel]: id.name, [podNamespaceLabel]: id.namespace, [podUidLabel]: id.uid, [containerNameLabel]: container.name },
    annotations: {
      'io.kubernetes.container.restartCount': String(restartCount),
      // Where the container leaves its termination message, and whether its log stands in for an empty one.
      [terminationMessagePathAnnotation]: container.terminationMessagePath ?? defaultTerminationMessagePath,
      [terminationMessagePolicyAnnotation]: container.terminationMessagePolicy ?? 'File',
    },
    logPath: containerLogPath(container.name, restartCount),
    stdin: container.stdin ?? false,
    stdinOnce: container.stdinOnce ?? false,
    tty: container.tty ?? false,
    mounts: extras.mounts ?? [],
    linux: {
      resources: containerResources(pod, container, extras.memoryCapacityBytes ?? totalmem()),
      securityContext: containerSecurityContext(pod, container, namespaceOptions(pod), extras.security ?? { seccompProfileRoot: '/var/lib/kubelet/seccomp' }),
    },
  };
}
