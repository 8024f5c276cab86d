// Which namespaces the container creates and which it joins. berth runs no pause process: the
// sandbox's network, IPC and UTS namespaces are pinned bind mounts that each container joins by
// path; NODE mode means "stay in the host's", expressed by leaving the namespace out.
import { FailedPreconditionError, InvalidArgumentError, UnimplementedError } from '../../../common/errors.js';
import type { LinuxNamespace, NamespaceType } from './runtime-spec.js';
import type { SpecContext, SpecOption } from './spec-context.js';

function pinned(type: NamespaceType, path: string | undefined, sandboxId: string): LinuxNamespace {
  if (path === undefined) {
    throw new FailedPreconditionError(`sandbox ${sandboxId} has no pinned ${type} namespace to join; recreate the sandbox`);
  }
  return { type, path };
}

function pidNamespace({ input, namespaces, security }: SpecContext): LinuxNamespace | undefined {
  const sandboxId = input.sandbox.id;
  switch (namespaces.pid) {
    case 'CONTAINER':
      return { type: 'pid' };
    case 'POD':
      return pinned('pid', input.sandbox.namespaces.pid, sandboxId);
    case 'NODE':
      return undefined;
    case 'TARGET': {
      const target = security?.namespaceOptions?.targetId ?? '';
      if (input.targetPidNamespacePath === undefined) {
        throw new InvalidArgumentError(`pid namespace mode TARGET needs the target container "${target}" to be running`);
      }
      return { type: 'pid', path: input.targetPidNamespacePath };
    }
  }
}

export const withNamespaces: SpecOption = (spec, context) => {
  const { input, namespaces, security } = context;
  const userns = security?.namespaceOptions?.usernsOptions;
  if (userns && userns.mode !== 'NODE') {
    throw new UnimplementedError('user namespaces are not supported by berth yet; run the pod with hostUsers: true');
  }
  const sandboxId = input.sandbox.id;
  const pins = input.sandbox.namespaces;
  const result: LinuxNamespace[] = [];
  const pid = pidNamespace(context);
  if (pid) result.push(pid);
  for (const [kind, mode] of [
    ['network', namespaces.network],
    ['ipc', namespaces.ipc],
  ] as const) {
    if (mode !== 'POD' && mode !== 'NODE') {
      throw new InvalidArgumentError(`${kind} namespace mode ${mode} is invalid: a pod's ${kind} is POD or NODE`);
    }
  }
  // A host-network pod also keeps the host's UTS namespace, so its hostname is the node's.
  if (namespaces.network === 'POD') {
    result.push(pinned('network', pins.network, sandboxId));
    result.push(pinned('uts', pins.uts, sandboxId));
  }
  if (namespaces.ipc === 'POD') result.push(pinned('ipc', pins.ipc, sandboxId));
  result.push({ type: 'mount' });
  // Only on cgroup v2 does a cgroup namespace root the container's view at its own cgroup;
  // containerd likewise leaves v1 containers in the host's cgroup namespace.
  if (input.host.cgroupV2) result.push({ type: 'cgroup' });
  spec.linux.namespaces = result;
  if (namespaces.network === 'POD') spec.hostname = input.sandbox.hostname;
};
