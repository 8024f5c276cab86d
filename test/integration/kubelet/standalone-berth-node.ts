// A standalone node for kubelet integration tests: a real berth runtime (with the seeded
// registry and a CNI test network of its own) and berth's kubelet on it, running the static pods
// written into `manifests`; stop() removes the pods, the runtime, the network, the cgroups and the
// work dir.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownMemoryCgroup, removeCgroupPath } from '../../../bench/cgroups.js';
import { createLogger } from '../../../common/logger.js';
import { CriClient } from '../../../cri/client/cri-client.js';
import type { Rejection } from '../../../kubelet/admission.js';
import { startKubelet, type Kubelet } from '../../../kubelet/kubelet.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { standaloneKubeletConfig } from './suite-runtimes.js';

export interface StandaloneBerthNode {
  work: string;
  manifests: string;
  cri: CriClient;
  kubelet: Kubelet;
  /** Why the kubelet refused the pods it did not admit. */
  rejections(): Rejection[];
  stop(): Promise<void>;
}

export async function startStandaloneBerthNode(options: {
  /** Names the node, its work dir, its network and its cgroup parent. */
  name: string;
  registryHost: string;
  /** 200-229: the CNI test network's 10.244.<octet>.0/24, distinct per test file. */
  cniOctet: number;
  /** More `berth runtime` flags; may prepare files under the work dir first. */
  berthArgs?: (work: string) => string[];
  kubelet?: (work: string) => Pick<Parameters<typeof standaloneKubeletConfig>[0], 'cdiSpecDirs' | 'devicePluginDir'>;
}): Promise<StandaloneBerthNode> {
  const since = Date.now();
  const cgroupParent = `${ownMemoryCgroup()}/berth-kubelet-${options.name}`;
  const work = mkdtempSync(join(tmpdir(), `berth-kubelet-${options.name}-`));
  const manifests = join(work, 'manifests');
  mkdirSync(manifests);
  let network: CniTestNetwork | undefined;
  let berth: Berth | undefined;
  let cri: CriClient | undefined;
  let kubelet: Kubelet | undefined;
  const stop = async (): Promise<void> => {
    await kubelet?.stop();
    for (const sandbox of (await cri?.listPodSandbox().catch(() => ({ items: [] })))?.items ?? []) {
      await cri?.stopPodSandbox(sandbox.id).catch(() => undefined);
      await cri?.removePodSandbox(sandbox.id).catch(() => undefined);
    }
    cri?.close();
    await berth?.stop();
    await network?.remove();
    removeCgroupPath(cgroupParent, since);
    // berth's runtime anchors the same parent below its own cgroup in the memory hierarchy.
    removeCgroupPath(`${ownMemoryCgroup()}${cgroupParent}`, since);
    rmSync(work, { recursive: true, force: true });
  };
  try {
    network = cniTestNetwork(`kubelet-${options.name}`, options.cniOctet);
    berth = await startBerth({ args: ['--insecure-registry', options.registryHost, '--cni-conf-dir', network.confDir, ...(options.berthArgs?.(work) ?? [])] });
    cri = new CriClient({ endpoint: berth.socket });
    kubelet = await startKubelet(standaloneKubeletConfig({ nodeName: `${options.name}-node`, manifests, runtimeEndpoint: berth.socket, workDir: work, cgroupParent, ...options.kubelet?.(work) }), {
      logger: createLogger('warn'),
    });
    const loop = kubelet.syncLoop;
    const rejections = (): Rejection[] => [...loop.desiredPods().values()].map((pod) => loop.worker(pod.metadata?.uid ?? '')?.desired.rejection).filter((r): r is Rejection => r !== undefined);
    return { work, manifests, cri, kubelet, rejections, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
