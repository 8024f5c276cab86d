// Plugs cni/ into the sandbox manager's NetworkPort: the manager speaks in CRI terms
// (sandboxId, podNamespace), the CNI layer in its own; this is the only place they meet.
import type { CniNetwork } from '../../cni/network.js';
import type { LoadedNetworkConfig } from '../../cni/types.js';
import type { NetworkPort } from './sandbox-ports.js';

/**
 * `choose` answers the network a pod asked for by name (berth.dev/network: a user network, or
 * "none"); undefined keeps the conf dir's.
 */
export function cniNetworkPort(network: Pick<CniNetwork, 'setUpPod' | 'tearDownPod'>, choose: (name: string) => LoadedNetworkConfig | undefined = () => undefined): NetworkPort {
  return {
    async setUp(request, options) {
      const chosen = request.network ? choose(request.network) : undefined;
      const { ips } = await network.setUpPod(
        {
          id: request.sandboxId,
          netnsPath: request.netnsPath,
          podName: request.podName,
          namespace: request.podNamespace,
          uid: request.podUid,
          portMappings: request.portMappings.map((m) => ({
            hostPort: m.hostPort,
            containerPort: m.containerPort,
            protocol: m.protocol,
            ...(m.hostIp ? { hostIP: m.hostIp } : {}),
          })),
        },
        options,
        chosen,
      );
      // The first IPv4 address is the pod's primary IP (status.podIP), as in containerd.
      return { ips: [...ips.v4, ...ips.v6] };
    },
    async tearDown(request, options) {
      await network.tearDownPod(
        {
          id: request.sandboxId,
          netnsPath: request.netnsPath,
          podName: request.podName,
          namespace: request.podNamespace,
          uid: request.podUid,
        },
        options,
      );
    },
  };
}
