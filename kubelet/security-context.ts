// A pod's and its containers' securityContext → CRI security contexts (pure), as the upstream
// kubelet determines the effective one: the container's fields win over the pod's (runAsUser,
// runAsGroup, runAsNonRoot, seccompProfile); supplementalGroups and fsGroup are the pod's;
// capabilities, privileged, readOnlyRootFilesystem and allowPrivilegeEscalation are the
// container's. And the runAsNonRoot check, made before a container is created.
import type { V1Container, V1Pod, V1SeccompProfile } from '@kubernetes/client-node';
import type { LinuxContainerSecurityContext, LinuxSandboxSecurityContext, NamespaceOption, SecurityProfile } from '../api/cri/messages.js';

export interface SecurityOptions {
  /** Where Localhost seccomp profiles live (the kubelet's --seccomp-profile-root: <root-dir>/seccomp). */
  seccompProfileRoot: string;
}

const int64 = (value: number): { value: string } => ({ value: String(value) });

function seccompOf(profile: V1SeccompProfile | undefined, options: SecurityOptions): SecurityProfile | undefined {
  switch (profile?.type) {
    case 'RuntimeDefault':
      return { profileType: 'RuntimeDefault' };
    case 'Unconfined':
      return { profileType: 'Unconfined' };
    case 'Localhost':
      return { profileType: 'Localhost', localhostRef: `${options.seccompProfileRoot.replace(/\/+$/, '')}/${profile.localhostProfile ?? ''}` };
    default:
      // Upstream without SeccompDefault: unconfined unless asked.
      return undefined;
  }
}

/** The pod's supplemental groups, its fsGroup among them (upstream adds it for volume access). */
function supplementalGroups(pod: V1Pod): string[] {
  const context = pod.spec?.securityContext;
  const groups = [...(context?.supplementalGroups ?? [])];
  if (context?.fsGroup !== undefined && !groups.includes(context.fsGroup)) groups.push(context.fsGroup);
  return groups.map(String);
}

export interface EffectiveUser {
  runAsUser: number | undefined;
  runAsGroup: number | undefined;
  runAsNonRoot: boolean;
}

export function effectiveUser(pod: V1Pod, container: V1Container): EffectiveUser {
  const podContext = pod.spec?.securityContext;
  const own = container.securityContext;
  return {
    runAsUser: own?.runAsUser ?? podContext?.runAsUser,
    runAsGroup: own?.runAsGroup ?? podContext?.runAsGroup,
    runAsNonRoot: own?.runAsNonRoot ?? podContext?.runAsNonRoot ?? false,
  };
}

export function containerSecurityContext(pod: V1Pod, container: V1Container, namespaceOptions: NamespaceOption, options: SecurityOptions): LinuxContainerSecurityContext {
  const own = container.securityContext;
  const user = effectiveUser(pod, container);
  const seccomp = seccompOf(own?.seccompProfile ?? pod.spec?.securityContext?.seccompProfile, options);
  const add = own?.capabilities?.add ?? [];
  const drop = own?.capabilities?.drop ?? [];
  return {
    privileged: own?.privileged ?? false,
    namespaceOptions,
    ...(add.length > 0 || drop.length > 0 ? { capabilities: { addCapabilities: add, dropCapabilities: drop } } : {}),
    ...(user.runAsUser !== undefined ? { runAsUser: int64(user.runAsUser) } : {}),
    ...(user.runAsGroup !== undefined ? { runAsGroup: int64(user.runAsGroup) } : {}),
    readonlyRootfs: own?.readOnlyRootFilesystem ?? false,
    supplementalGroups: supplementalGroups(pod),
    noNewPrivs: own?.allowPrivilegeEscalation === false,
    ...(seccomp ? { seccomp } : {}),
  };
}

export function sandboxSecurityContext(pod: V1Pod, namespaceOptions: NamespaceOption, options: SecurityOptions): LinuxSandboxSecurityContext {
  const context = pod.spec?.securityContext;
  const seccomp = seccompOf(context?.seccompProfile, options);
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  return {
    namespaceOptions,
    ...(context?.runAsUser !== undefined ? { runAsUser: int64(context.runAsUser) } : {}),
    ...(context?.runAsGroup !== undefined ? { runAsGroup: int64(context.runAsGroup) } : {}),
    supplementalGroups: supplementalGroups(pod),
    // Upstream: the sandbox is privileged when any container is.
    privileged: containers.some((c) => c.securityContext?.privileged === true),
    ...(seccomp ? { seccomp } : {}),
  };
}

/** The user an image runs as (CRI ImageStatus: uid when numeric, else username). */
export interface ImageUser {
  uid?: number | undefined;
  username?: string | undefined;
}

/**
 * Why the container may not run under runAsNonRoot (upstream's messages), or undefined when it
 * may: the effective runAsUser decides; without one, the image's user, which must be numeric.
 */
export function runAsNonRootViolation(pod: V1Pod, container: V1Container, image: ImageUser): string | undefined {
  const user = effectiveUser(pod, container);
  if (!user.runAsNonRoot) return undefined;
  if (user.runAsUser !== undefined) {
    return user.runAsUser === 0 ? `container's runAsUser breaks non-root policy (pod: "${pod.metadata?.name ?? ''}", container: ${container.name})` : undefined;
  }
  if (image.uid !== undefined) return image.uid === 0 ? 'container has runAsNonRoot and image will run as root' : undefined;
  if (image.username) return `container has runAsNonRoot and image has non-numeric user (${image.username}), cannot verify user is non-root`;
  // No user in the image: it runs as root.
  return 'container has runAsNonRoot and image will run as root';
}
