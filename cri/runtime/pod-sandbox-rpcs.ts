// RunPodSandbox, StopPodSandbox, RemovePodSandbox, PodSandboxStatus, ListPodSandbox.
import type {
  ListPodSandboxRequest__Output,
  ListPodSandboxResponse,
  PodSandboxStatusRequest__Output,
  PodSandboxStatusResponse,
  RemovePodSandboxRequest__Output,
  RemovePodSandboxResponse,
  RunPodSandboxRequest__Output,
  RunPodSandboxResponse,
  StopPodSandboxRequest__Output,
  StopPodSandboxResponse,
} from '../api/messages.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { matchesLabels, sandboxState, toContainerStatus, toPodSandbox, toPodSandboxStatus } from './to-cri.js';

export function runPodSandbox(runtime: Runtime): UnaryHandler<RunPodSandboxRequest__Output, RunPodSandboxResponse> {
  return async (request) => ({ podSandboxId: (await runtime.runPodSandbox(request.config, request.runtimeHandler)).id });
}

export function stopPodSandbox(runtime: Runtime): UnaryHandler<StopPodSandboxRequest__Output, StopPodSandboxResponse> {
  return async (request) => {
    await runtime.stopPodSandbox(request.podSandboxId);
    return {};
  };
}

export function removePodSandbox(runtime: Runtime): UnaryHandler<RemovePodSandboxRequest__Output, RemovePodSandboxResponse> {
  return async (request) => {
    await runtime.removePodSandbox(request.podSandboxId);
    return {};
  };
}

export function podSandboxStatus(runtime: Runtime): UnaryHandler<PodSandboxStatusRequest__Output, PodSandboxStatusResponse> {
  return async (request) => {
    const sandbox = runtime.sandboxes.get(request.podSandboxId);
    const containers = await runtime.containers.list();
    return {
      status: toPodSandboxStatus(sandbox),
      info: request.verbose ? { info: JSON.stringify({ dir: sandbox.dir, namespaces: sandbox.namespaces, config: sandbox.config }) } : {},
      containersStatuses: containers.filter((c) => c.sandboxId === sandbox.id).map(toContainerStatus),
      timestamp: String(BigInt(Date.now()) * 1_000_000n),
    };
  };
}

export function listPodSandbox(runtime: Runtime): UnaryHandler<ListPodSandboxRequest__Output, ListPodSandboxResponse> {
  return async (request) => {
    const filter = request.filter;
    const items = runtime.sandboxes
      .list()
      .filter((s) => !filter?.id || s.id.startsWith(filter.id))
      .filter((s) => !filter?.state || sandboxState(s) === filter.state.state)
      .filter((s) => !filter?.labelSelector || matchesLabels(s.config.labels, filter.labelSelector))
      .sort((a, b) => (BigInt(b.createdAt) > BigInt(a.createdAt) ? 1 : -1));
    return { items: items.map(toPodSandbox) };
  };
}
