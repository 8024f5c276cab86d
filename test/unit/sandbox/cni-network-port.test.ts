import { describe, expect, it } from 'vitest';
import type { PodNetworkIdentity, PodNetworkRequest, PodNetworkSetUp } from '../../../cni/types.js';
import { cniNetworkPort } from '../../../runtime/sandbox/cni-network-port.js';

describe('the CNI network port of the sandbox manager', () => {
  it('translates CRI terms into a CNI request and returns IPv4 addresses first', async () => {
    const seen: PodNetworkRequest[] = [];
    const port = cniNetworkPort({
      async setUpPod(request): Promise<PodNetworkSetUp> {
        seen.push(request);
        return { ips: { v4: ['10.85.0.5'], v6: ['fd00::5'] }, interfaces: [], result: { cniVersion: '1.0.0' } };
      },
      async tearDownPod(_identity: PodNetworkIdentity) {},
    });
    const { ips } = await port.setUp({
      sandboxId: 'sb1',
      netnsPath: '/ns/net',
      podName: 'web',
      podNamespace: 'default',
      podUid: 'u-1',
      portMappings: [
        { protocol: 'tcp', containerPort: 80, hostPort: 8080, hostIp: '' },
        { protocol: 'udp', containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' },
      ],
    });
    expect(ips).toEqual(['10.85.0.5', 'fd00::5']);
    expect(seen).toEqual([
      {
        id: 'sb1',
        netnsPath: '/ns/net',
        podName: 'web',
        namespace: 'default',
        uid: 'u-1',
        portMappings: [
          { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
          { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' },
        ],
      },
    ]);
  });
});
