// The CRI runtimes the kubelet suites run against, each started privately for one test file:
// Debian's containerd 1.6, and berth's own runtime served in-process (what `berth node` does
// without --container-runtime-endpoint).
import { join } from 'node:path';
import { createLogger } from '../../../common/logger.js';
import { kubeletConfig, type KubeletConfig, type KubeletConfigInput } from '../../../kubelet/config.js';
import { startRuntimeServices } from '../../../cli/runtime-services.js';
import { startContainerd } from '../../harness/containerd.js';

/** A started CRI runtime: where its socket is, and how to stop it. */
export interface SuiteRuntime {
  endpoint: string;
  stop(): Promise<void>;
}

export interface SuiteRuntimeKind {
  /** CRI runtime name: the scheme of containerIDs and of nodeInfo.containerRuntimeVersion. */
  name: string;
  start(options: { registryHost: string; cniConfDir: string; workDir: string }): Promise<SuiteRuntime>;
}

export const containerdRuntime: SuiteRuntimeKind = {
  name: 'containerd',
  start: async ({ registryHost, cniConfDir }) => {
    const containerd = await startContainerd({ registryHost, cniConfDir });
    return { endpoint: containerd.socket, stop: () => containerd.stop() };
  },
};

export const berthRuntime: SuiteRuntimeKind = {
  name: 'berth',
  start: async ({ registryHost, cniConfDir, workDir }) => {
    const logger = createLogger('warn', 'berth-runtime');
    const socketPath = join(workDir, 'berth.sock');
    // As `berth node` embeds it: the CRI socket and the streaming server for exec/port-forward.
    const services = await startRuntimeServices(
      {
        socketPath,
        rootDir: join(workDir, 'berth-root'),
        stateDir: join(workDir, 'berth-state'),
        ociRuntime: undefined,
        insecureRegistries: [registryHost],
        registryMirrors: {},
        cniConfDir,
        cniBinDirs: ['/usr/lib/cni'],
        devices: { gpuDriverRoot: '/', gpuDeviceRoot: '/', cdiSpecDirs: [join(workDir, 'cdi')], cdiOutputDir: join(workDir, 'cdi') },
      },
      { stream: { address: '127.0.0.1', port: 0 }, metricsAddress: '' },
      logger,
    );
    return { endpoint: socketPath, stop: () => services.close() };
  },
};

/** The kubelet configuration the integration suites share: standalone, files under `workDir`. */
export function standaloneKubeletConfig(options: {
  nodeName: string;
  manifests: string;
  runtimeEndpoint: string;
  workDir: string;
  cgroupParent: string;
  readOnlyAddress?: string;
  /** Where the kubelet counts GPUs; by default a directory of its own, so the host's never count. */
  cdiSpecDirs?: string[];
  kubeReserved?: KubeletConfigInput['kubeReserved'];
  devicePluginDir?: string;
}): KubeletConfig {
  return kubeletConfig({
    nodeName: options.nodeName,
    nodeIp: '127.0.0.1',
    podManifestPath: options.manifests,
    runtimeEndpoint: options.runtimeEndpoint,
    rootDir: options.workDir,
    podLogsDir: join(options.workDir, 'pods'),
    cgroupParent: options.cgroupParent,
    kubeletVersion: 'v0.1.0-berth',
    readOnlyAddress: options.readOnlyAddress,
    cdiSpecDirs: options.cdiSpecDirs ?? [join(options.workDir, 'cdi')],
    kubeReserved: options.kubeReserved,
    devicePluginDir: options.devicePluginDir,
    timings: { staticPodCheckMs: 300, podResyncMs: 1_000 },
  });
}
