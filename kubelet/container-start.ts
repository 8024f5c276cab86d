// One container start, the steps of upstream's startContainer in order: the image, the config
// (user check, mounts, /etc/hosts, env), the devices (CDI GPUs, device plugins), create, start,
// then the postStart hook. Each step that fails names the reason the container's status shows
// while it waits (ErrImagePull, CreateContainerConfigError, ...), and nothing after it runs.
import type { V1Container, V1LifecycleHandler, V1Pod } from '@kubernetes/client-node';
import { FailedPreconditionError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { ContainerConfig, PodSandboxConfig } from '../api/cri/messages.js';
import { containerExtendedResources } from './admission.js';
import { containerEnv, type EnvSources } from './container-env.js';
import type { CriPort } from './cri-port.js';
import { devicesAnnotation, type DeviceAllocator } from './devices/device-allocator.js';
import { pluginDevicesAnnotation, type DevicePlugins } from './devices/device-plugins.js';
import { gpuResource } from './devices/gpu-inventory.js';
import { applyAllocation } from './devices/plugin-allocation.js';
import type { PodRuntimeFacts } from './downward-api.js';
import { containerConfig, securityOptions, type PodConfigOptions } from './pod-config.js';
import type { PodDirs } from './pod-dirs.js';
import { runLifecycleHook } from './probes/lifecycle-hook.js';
import type { ProbeDeps } from './probes/probe-check.js';
import { effectiveUser, runAsNonRootViolation } from './security-context.js';
import { defaultTerminationMessagePath } from './termination-message.js';
import type { PreparedVolume } from './volumes.js';

export interface ContainerStartDeps {
  cri: CriPort;
  config: PodConfigOptions;
  envSources?: EnvSources | undefined;
  devices?: DeviceAllocator | undefined;
  devicePlugins?: DevicePlugins | undefined;
  dirs: PodDirs;
  logger: Logger;
  /** Pulls the image as the pod's policy says (the pull time is the caller's to account). */
  ensureImage: (image: string, policy: string, podConfig: PodSandboxConfig) => Promise<void>;
  /** Marks that the runtime was changed, so the next read of the pod must be fresh. */
  changed: () => void;
}

/** What one pod's container starts share in one sync. */
export interface PodStartContext {
  pod: V1Pod;
  sandboxId: string;
  podConfig: PodSandboxConfig;
  facts: PodRuntimeFacts;
  volumes: Map<string, PreparedVolume>;
  gracePeriodSeconds: number;
  /** The kubelet-managed /etc/hosts, written once per sync when the first container needs it. */
  hostsFile?: string | undefined;
}

export type StartOutcome = { started: true; containerId: string } | { started: false; reason: string; error: unknown };

const failed = (reason: string, error: unknown): StartOutcome => ({ started: false, reason, error });

export async function startContainer(deps: ContainerStartDeps, context: PodStartContext, container: V1Container, restartCount: number): Promise<StartOutcome> {
  try {
    await deps.ensureImage(container.image ?? '', container.imagePullPolicy ?? 'IfNotPresent', context.podConfig);
  } catch (error) {
    return failed('ErrImagePull', error);
  }
  let config: ContainerConfig;
  try {
    config = await buildConfig(deps, context, container, restartCount);
  } catch (error) {
    return failed('CreateContainerConfigError', error);
  }
  try {
    config = await withDevices(deps, context.pod, container, config);
  } catch (error) {
    return failed('UnexpectedAdmissionError', error);
  }
  let containerId: string;
  try {
    deps.changed();
    ({ containerId } = await deps.cri.createContainer(context.sandboxId, config, context.podConfig));
    await deps.cri.startContainer(containerId);
  } catch (error) {
    return failed('CreateContainerError', error);
  }
  const postStart = container.lifecycle?.postStart;
  if (postStart) {
    try {
      await runPostStart(deps, postStart, { containerId, container, podIp: context.facts.podIp }, context.gracePeriodSeconds);
    } catch (error) {
      return failed('CreateContainerError', error);
    }
  }
  return { started: true, containerId };
}

export function hookDeps(cri: CriPort): ProbeDeps {
  return { execSync: (containerId, cmd, timeoutSeconds) => cri.execSync(containerId, cmd, timeoutSeconds) };
}

async function buildConfig(deps: ContainerStartDeps, context: PodStartContext, container: V1Container, restartCount: number): Promise<ContainerConfig> {
  const { pod, facts } = context;
  await checkRunAsNonRoot(deps.cri, pod, container);
  // The environment first: subPathExpr expands it.
  const envs = await containerEnv(pod, container, deps.envSources, facts);
  const mounts = await deps.dirs.containerMounts(container, context.volumes, new Map(envs.map(({ key, value }) => [key, value])));
  // The kubelet-managed /etc/hosts (hostAliases), unless the container mounts its own.
  if (facts.podIp && !mounts.some((m) => m.containerPath === '/etc/hosts')) {
    context.hostsFile ??= await deps.dirs.writeHostsFile(pod, [facts.podIp], deps.config.clusterDomain);
    mounts.push({ containerPath: '/etc/hosts', hostPath: context.hostsFile, readonly: false });
  }
  // The file the container may leave its termination message in, unless it mounts that path itself.
  const messagePath = container.terminationMessagePath ?? defaultTerminationMessagePath;
  if (messagePath !== '' && !mounts.some((m) => m.containerPath === messagePath)) {
    const hostPath = await deps.dirs.terminationMessageFile(pod.metadata?.uid ?? '', container.name, restartCount);
    mounts.push({ containerPath: messagePath, hostPath, readonly: false });
  }
  return containerConfig(pod, container, restartCount, { mounts, envs, security: securityOptions(deps.config) });
}

/** runAsNonRoot holds for the user the container will run as: its runAsUser, else the image's. */
async function checkRunAsNonRoot(cri: CriPort, pod: V1Pod, container: V1Container): Promise<void> {
  if (!effectiveUser(pod, container).runAsNonRoot) return;
  const image = (await cri.imageStatus(container.image ?? '')).image;
  const uid = image?.uid ? Number(image.uid.value) : undefined;
  const violation = runAsNonRootViolation(pod, container, { uid, username: image?.username });
  if (violation) throw new FailedPreconditionError(violation);
}

/** The config with its CDI GPUs and what device plugins gave it for its extended resources. */
async function withDevices(deps: ContainerStartDeps, pod: V1Pod, container: V1Container, config: ContainerConfig): Promise<ContainerConfig> {
  const uid = pod.metadata?.uid ?? '';
  const plugins = deps.devicePlugins;
  let out = config;
  // A device plugin serving nvidia.com/gpu (NVIDIA's own) takes over from the CDI inventory.
  const gpus = plugins?.serves(gpuResource) ? 0 : (containerExtendedResources(container)[gpuResource] ?? 0);
  if (gpus > 0) {
    const devices = deps.devices?.allocate(uid, container.name, gpus);
    if (!devices) throw new FailedPreconditionError(`container ${container.name} asks for ${gpus} ${gpuResource} and this kubelet has no device allocator`);
    out = { ...out, CDIDevices: devices.map((name) => ({ name })), annotations: { ...out.annotations, [devicesAnnotation]: devices.join(',') } };
  }
  for (const [resource, count] of Object.entries(containerExtendedResources(container))) {
    if (resource === gpuResource && !plugins?.serves(resource)) continue;
    if (!plugins?.serves(resource)) throw new FailedPreconditionError(`container ${container.name} asks for ${count} ${resource} and no device plugin serves it on this node`);
    const { response } = await plugins.allocate(uid, container.name, resource, count);
    out = applyAllocation(out, response);
  }
  const annotation = plugins?.annotation(uid, container.name);
  return annotation ? { ...out, annotations: { ...out.annotations, [pluginDevicesAnnotation]: annotation } } : out;
}

/** Blocks the next container, as upstream; a failed hook kills the container (restart policy decides). */
async function runPostStart(deps: ContainerStartDeps, handler: V1LifecycleHandler, target: { containerId: string; container: V1Container; podIp: string }, grace: number): Promise<void> {
  const outcome = await runLifecycleHook(handler, target, hookDeps(deps.cri), grace);
  if (outcome.ok) return;
  deps.logger.warn({ container: target.container.name, containerId: target.containerId }, `FailedPostStartHook: ${outcome.message}`);
  deps.changed();
  await deps.cri.stopContainer(target.containerId, grace);
}
