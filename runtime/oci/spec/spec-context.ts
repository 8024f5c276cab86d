// What every spec option may read: the input, the decisions derived from it once (privileged,
// namespace modes), and the warning list the builder returns to its caller.
import type { LinuxContainerSecurityContext__Output, NamespaceMode__Output } from '../../../api/cri/messages.js';
import type { Spec } from './runtime-spec.js';
import type { ContainerSpecInput } from './spec-input.js';

export interface NamespaceModes {
  network: NamespaceMode__Output;
  ipc: NamespaceMode__Output;
  pid: NamespaceMode__Output;
}

export interface SpecContext {
  readonly input: ContainerSpecInput;
  readonly security: LinuxContainerSecurityContext__Output | null;
  readonly privileged: boolean;
  readonly namespaces: NamespaceModes;
  /** Things the caller should log: berth changed or ignored part of the request. */
  readonly warnings: string[];
}

/** One step of building a spec; mutates the draft in place, in the order the builder lists. */
export type SpecOption = (spec: Spec, context: SpecContext) => void;

export function createSpecContext(input: ContainerSpecInput): SpecContext {
  const security = input.config.linux?.securityContext ?? null;
  const containerNs = security?.namespaceOptions ?? null;
  // Network and IPC belong to the pod: the sandbox's options decide them, so a container cannot
  // step out of the pod's network by asking for NODE on its own.
  const podNs = input.sandbox.config.linux?.securityContext?.namespaceOptions ?? containerNs;
  return {
    input,
    security,
    privileged: security?.privileged ?? false,
    namespaces: {
      network: podNs?.network ?? 'POD',
      ipc: podNs?.ipc ?? 'POD',
      pid: containerNs?.pid ?? podNs?.pid ?? 'CONTAINER',
    },
    warnings: [],
  };
}
