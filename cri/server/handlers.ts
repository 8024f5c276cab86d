// Which function answers which CRI RPC. One file per RPC under cri/runtime/ and cri/image/;
// anything not listed answers Unimplemented (see server.ts).
import type { Runtime } from '../../runtime/runtime.js';
import { imageFsInfoHandler } from '../image/image-fs-info.js';
import { imageStatus } from '../image/image-status.js';
import { listImages } from '../image/list-images.js';
import { pullImage } from '../image/pull-image.js';
import { removeImage } from '../image/remove-image.js';
import { containerStats, listContainerStats } from '../runtime/container-stats.js';
import { containerStatus } from '../runtime/container-status.js';
import { createContainer } from '../runtime/create-container.js';
import { attach } from '../runtime/attach.js';
import { exec } from '../runtime/exec.js';
import { execSync } from '../runtime/exec-sync.js';
import { listContainers } from '../runtime/list-containers.js';
import { listPodSandbox } from '../runtime/list-pod-sandbox.js';
import { listPodSandboxStats, podSandboxStats } from '../runtime/pod-sandbox-stats.js';
import { listMetricDescriptors, listPodSandboxMetrics } from '../runtime/pod-sandbox-metrics.js';
import { podSandboxStatus } from '../runtime/pod-sandbox-status.js';
import { portForward } from '../runtime/port-forward.js';
import { removeContainer } from '../runtime/remove-container.js';
import { removePodSandbox } from '../runtime/remove-pod-sandbox.js';
import { reopenContainerLog } from '../runtime/reopen-container-log.js';
import { runPodSandbox } from '../runtime/run-pod-sandbox.js';
import { startContainer } from '../runtime/start-container.js';
import { stopContainer } from '../runtime/stop-container.js';
import { stopPodSandbox } from '../runtime/stop-pod-sandbox.js';
import { updateContainerResources } from '../runtime/update-container-resources.js';
import { updatePodSandboxResources } from '../runtime/update-pod-sandbox-resources.js';
import { runtimeConfigHandler } from '../runtime/runtime-config.js';
import { statusHandler } from '../runtime/status.js';
import { versionHandler } from '../runtime/version.js';
import type { StreamServer } from '../streaming/stream-server.js';
import { getContainerEvents } from '../runtime/container-events.js';
import { listAsStream } from './list-streams.js';
import { HostPathPolicy } from '../validation/host-paths.js';
import { HugepageSizes } from '../validation/resources.js';
import type { CriHandlers } from './server.js';
import { berthImagesHandlers } from '../berth/handlers.js';
import { berthContainersHandlers } from '../berth/containers/handlers.js';
import { berthVolumesHandlers } from '../berth/volumes/handlers.js';
import { berthNetworksHandlers } from '../berth/networks/handlers.js';
import type { Logger } from '../../common/logger.js';
import { silentLogger } from '../../common/logger.js';

export function criHandlers(runtime: Runtime, berthVersion: string, streaming?: StreamServer, logger: Logger = silentLogger()): CriHandlers {
  // Without a streaming server (some tests), Exec, Attach and PortForward answer Unimplemented.
  const streamingHandlers = streaming ? { Exec: exec(runtime, streaming), Attach: attach(runtime, streaming), PortForward: portForward(runtime, streaming) } : {};
  // What requests are checked against: the host's huge page sizes, berth's own paths.
  const hugepageSizes = new HugepageSizes();
  const containerRules = { hostPaths: new HostPathPolicy(runtime.config), hugepageSizes };
  const lists = {
    podSandboxes: listPodSandbox(runtime),
    containers: listContainers(runtime),
    containerStats: listContainerStats(runtime),
    podSandboxStats: listPodSandboxStats(runtime),
    podSandboxMetrics: listPodSandboxMetrics(runtime),
    images: listImages(runtime),
  };
  return {
    runtime: {
      ...streamingHandlers,
      Version: versionHandler(berthVersion),
      Status: statusHandler(runtime),
      RuntimeConfig: runtimeConfigHandler(runtime.config.cgroupDriver ?? 'cgroupfs'),
      RunPodSandbox: runPodSandbox(runtime, hugepageSizes),
      StopPodSandbox: stopPodSandbox(runtime),
      RemovePodSandbox: removePodSandbox(runtime),
      PodSandboxStatus: podSandboxStatus(runtime),
      ListPodSandbox: lists.podSandboxes,
      StreamPodSandboxes: listAsStream(
        lists.podSandboxes,
        (r) => r.items,
        (podSandboxes) => ({ podSandboxes }),
      ),
      CreateContainer: createContainer(runtime, containerRules),
      StartContainer: startContainer(runtime),
      StopContainer: stopContainer(runtime),
      RemoveContainer: removeContainer(runtime),
      ContainerStatus: containerStatus(runtime),
      ListContainers: lists.containers,
      StreamContainers: listAsStream(
        lists.containers,
        (r) => r.containers,
        (containers) => ({ containers }),
      ),
      ExecSync: execSync(runtime),
      ReopenContainerLog: reopenContainerLog(runtime),
      ContainerStats: containerStats(runtime),
      ListContainerStats: lists.containerStats,
      StreamContainerStats: listAsStream(
        lists.containerStats,
        (r) => r.stats,
        (containerStats) => ({ containerStats }),
      ),
      UpdateContainerResources: updateContainerResources(runtime, hugepageSizes),
      UpdatePodSandboxResources: updatePodSandboxResources(runtime, hugepageSizes),
      PodSandboxStats: podSandboxStats(runtime),
      ListPodSandboxStats: lists.podSandboxStats,
      StreamPodSandboxStats: listAsStream(
        lists.podSandboxStats,
        (r) => r.stats,
        (podSandboxStats) => ({ podSandboxStats }),
      ),
      ListMetricDescriptors: listMetricDescriptors(),
      ListPodSandboxMetrics: lists.podSandboxMetrics,
      StreamPodSandboxMetrics: listAsStream(
        lists.podSandboxMetrics,
        (r) => r.podMetrics,
        (podSandboxMetrics) => ({ podSandboxMetrics }),
      ),
      GetContainerEvents: getContainerEvents(runtime, logger),
    },
    image: {
      ImageFsInfo: imageFsInfoHandler(runtime),
      ListImages: lists.images,
      StreamImages: listAsStream(
        lists.images,
        (r) => r.images,
        (images) => ({ images }),
      ),
      ImageStatus: imageStatus(runtime),
      PullImage: pullImage(runtime),
      RemoveImage: removeImage(runtime),
    },
    berthImages: berthImagesHandlers(runtime),
    berthContainers: berthContainersHandlers(runtime),
    berthVolumes: berthVolumesHandlers(runtime),
    berthNetworks: berthNetworksHandlers(runtime),
  };
}
