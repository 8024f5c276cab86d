// CreateContainer, StartContainer, StopContainer, RemoveContainer, ContainerStatus,
// ListContainers, ExecSync, ReopenContainerLog.
import type {
  ContainerStatusRequest__Output,
  ContainerStatusResponse,
  CreateContainerRequest__Output,
  CreateContainerResponse,
  ExecSyncRequest__Output,
  ExecSyncResponse,
  ListContainersRequest__Output,
  ListContainersResponse,
  RemoveContainerRequest__Output,
  RemoveContainerResponse,
  ReopenContainerLogRequest__Output,
  ReopenContainerLogResponse,
  StartContainerRequest__Output,
  StartContainerResponse,
  StopContainerRequest__Output,
  StopContainerResponse,
} from '../api/messages.js';
import { InvalidArgumentError } from '../../common/errors.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { UnaryHandler } from '../server/instrument.js';
import { matchesLabels, toContainer, toContainerStatus } from './to-cri.js';

export function createContainer(runtime: Runtime): UnaryHandler<CreateContainerRequest__Output, CreateContainerResponse> {
  return async (request) => {
    const sandbox = runtime.sandboxes.get(request.podSandboxId);
    return { containerId: (await runtime.containers.create(sandbox, request.config)).id };
  };
}

export function startContainer(runtime: Runtime): UnaryHandler<StartContainerRequest__Output, StartContainerResponse> {
  return async (request) => {
    await runtime.containers.start(request.containerId);
    return {};
  };
}

export function stopContainer(runtime: Runtime): UnaryHandler<StopContainerRequest__Output, StopContainerResponse> {
  return async (request) => {
    await runtime.containers.stop(request.containerId, Number(request.timeout));
    return {};
  };
}

export function removeContainer(runtime: Runtime): UnaryHandler<RemoveContainerRequest__Output, RemoveContainerResponse> {
  return async (request) => {
    await runtime.containers.remove(request.containerId);
    return {};
  };
}

export function containerStatus(runtime: Runtime): UnaryHandler<ContainerStatusRequest__Output, ContainerStatusResponse> {
  return async (request) => {
    const record = await runtime.containers.refresh(runtime.containers.get(request.containerId).id);
    return {
      status: toContainerStatus(record),
      info: request.verbose ? { info: JSON.stringify({ bundle: record.bundleDir, sandboxId: record.sandboxId, config: record.config }) } : {},
    };
  };
}

export function listContainers(runtime: Runtime): UnaryHandler<ListContainersRequest__Output, ListContainersResponse> {
  return async (request) => {
    const filter = request.filter;
    const containers = (await runtime.containers.list())
      .filter((c) => !filter?.id || c.id.startsWith(filter.id))
      .filter((c) => !filter?.podSandboxId || c.sandboxId.startsWith(filter.podSandboxId))
      .map(toContainer)
      .filter((c) => !filter?.state || c.state === filter.state.state)
      .filter((c) => !filter?.labelSelector || matchesLabels(c.labels ?? {}, filter.labelSelector));
    return { containers };
  };
}

/** CRI caps ExecSync output; more is truncated rather than buffered without bound. */
export const execSyncOutputLimit = 16 * 1024 * 1024;

export function execSync(runtime: Runtime): UnaryHandler<ExecSyncRequest__Output, ExecSyncResponse> {
  return async (request) => {
    const timeout = Number(request.timeout);
    if (!Number.isFinite(timeout) || timeout < 0) throw new InvalidArgumentError(`exec timeout ${request.timeout} is not a non-negative number of seconds`);
    const result = await runtime.containers.execSync(request.containerId, request.cmd, timeout);
    return {
      stdout: result.stdout.subarray(0, execSyncOutputLimit),
      stderr: result.stderr.subarray(0, execSyncOutputLimit),
      exitCode: result.exitCode,
    };
  };
}

export function reopenContainerLog(runtime: Runtime): UnaryHandler<ReopenContainerLogRequest__Output, ReopenContainerLogResponse> {
  return async (request) => {
    await runtime.containers.reopenLog(request.containerId);
    return {};
  };
}
