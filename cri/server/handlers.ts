// Which function answers which CRI RPC. One file per RPC under cri/runtime/ and cri/image/;
// anything not listed answers Unimplemented (see server.ts).
import type { Runtime } from '../../runtime/runtime.js';
import { imageFsInfoHandler } from '../image/image-fs-info.js';
import {
  containerStatus,
  createContainer,
  execSync,
  listContainers,
  removeContainer,
  reopenContainerLog,
  startContainer,
  stopContainer,
} from '../runtime/container-rpcs.js';
import { listPodSandbox, podSandboxStatus, removePodSandbox, runPodSandbox, stopPodSandbox } from '../runtime/pod-sandbox-rpcs.js';
import { runtimeConfigHandler } from '../runtime/runtime-config.js';
import { statusHandler } from '../runtime/status.js';
import { versionHandler } from '../runtime/version.js';
import type { CriHandlers } from './server.js';

export function criHandlers(runtime: Runtime, berthVersion: string): CriHandlers {
  return {
    runtime: {
      Version: versionHandler(berthVersion),
      Status: statusHandler(runtime),
      RuntimeConfig: runtimeConfigHandler(),
      RunPodSandbox: runPodSandbox(runtime),
      StopPodSandbox: stopPodSandbox(runtime),
      RemovePodSandbox: removePodSandbox(runtime),
      PodSandboxStatus: podSandboxStatus(runtime),
      ListPodSandbox: listPodSandbox(runtime),
      CreateContainer: createContainer(runtime),
      StartContainer: startContainer(runtime),
      StopContainer: stopContainer(runtime),
      RemoveContainer: removeContainer(runtime),
      ContainerStatus: containerStatus(runtime),
      ListContainers: listContainers(runtime),
      ExecSync: execSync(runtime),
      ReopenContainerLog: reopenContainerLog(runtime),
    },
    image: {
      ImageFsInfo: imageFsInfoHandler(runtime),
    },
  };
}
