import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { managedHostsFile } from '../../../kubelet/hosts-file.js';

function pod(spec: Partial<NonNullable<V1Pod['spec']>>): V1Pod {
  return { metadata: { name: 'web-0', namespace: 'shop' }, spec: { containers: [], ...spec } };
}

describe('the kubelet-managed /etc/hosts', () => {
  it('names the pod address with its hostname, then the hostAliases', () => {
    const text = managedHostsFile(pod({ hostAliases: [{ ip: '10.1.2.3', hostnames: ['db', 'db.local'] }] }), ['10.88.0.7'], 'cluster.local', '');
    expect(text).toBe(
      [
        '# Kubernetes-managed hosts file.',
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::0\tip6-localnet',
        'fe00::0\tip6-mcastprefix',
        'fe00::1\tip6-allnodes',
        'fe00::2\tip6-allrouters',
        '10.88.0.7\tweb-0',
        '',
        '# Entries added by HostAliases.',
        '10.1.2.3\tdb\tdb.local',
        '',
      ].join('\n'),
    );
  });

  it('gives a pod with a subdomain its fully qualified name first', () => {
    const text = managedHostsFile(pod({ hostname: 'web', subdomain: 'frontends' }), ['10.88.0.7'], 'cluster.local', '');
    expect(text).toContain('10.88.0.7\tweb.frontends.shop.svc.cluster.local\tweb\n');
  });

  it("keeps the node's hosts file for a host-network pod and adds the aliases after it", () => {
    const text = managedHostsFile(pod({ hostNetwork: true, hostAliases: [{ ip: '10.1.2.3', hostnames: ['db'] }] }), ['192.0.2.10'], 'cluster.local', '127.0.0.1 localhost\n192.0.2.10 node-a');
    expect(text).toBe('127.0.0.1 localhost\n192.0.2.10 node-a\n\n# Entries added by HostAliases.\n10.1.2.3\tdb\n');
  });
});
