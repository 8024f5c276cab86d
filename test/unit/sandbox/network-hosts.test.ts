import { describe, expect, it } from 'vitest';
import { networkAliasesAnnotation, networkHostsContent, networkLinksAnnotation } from '../../../runtime/networks/network-hosts.js';
import { parseSubnet } from '../../../runtime/networks/network-store.js';
import type { SandboxRecord } from '../../../runtime/sandbox/sandbox-record.js';

const pod = (name: string, ip: string, hostname = name, annotations: Record<string, string> = {}) =>
  ({
    id: name,
    hostname,
    ips: [ip],
    state: 'ready',
    config: { metadata: { name }, labels: { 'berth.dev/cli-name': name }, annotations: { 'berth.dev/network': 'backend', ...annotations } },
  }) as unknown as SandboxRecord;

describe("a user network's hosts files", () => {
  it("lists the pod's own lines, then every peer by IP with its names", () => {
    const content = networkHostsContent(pod('api', '10.1.0.2'), [pod('web', '10.1.0.3', 'web.local')], 'backend');
    expect(content.split('\n').slice(-4)).toEqual(['10.1.0.2\tapi', '# berth network backend', '10.1.0.3\tweb web.local', '']);
  });

  it("adds a peer's aliases (compose's service name and network aliases) to its line", () => {
    const db = pod('proj-db-1', '10.1.0.4', 'proj-db-1', { [networkAliasesAnnotation]: 'db,database' });
    const content = networkHostsContent(pod('proj-web-1', '10.1.0.3'), [db], 'backend');
    expect(content.split('\n').at(-2)).toBe('10.1.0.4\tproj-db-1 db database');
  });

  it("gives a peer the names of the pod's own links, in that pod's file only", () => {
    const db = pod('proj-db-1', '10.1.0.4', 'proj-db-1', { [networkAliasesAnnotation]: 'db' });
    const web = pod('proj-web-1', '10.1.0.3', 'proj-web-1', { [networkLinksAnnotation]: 'db:sql,nobody:ghost' });
    expect(networkHostsContent(web, [db], 'backend').split('\n').at(-2)).toBe('10.1.0.4\tproj-db-1 db sql');
    expect(networkHostsContent(pod('other', '10.1.0.5'), [db], 'backend')).not.toMatch(/sql/);
  });
});

describe('user network subnets', () => {
  it.each([
    ['10.244.0.0/33', /prefix from 8 to 30/],
    ['300.1.1.0/24', /use an IPv4 network/],
    ['10.0.0.1/8', /host bits set; the network is 10\.0\.0\.0\/8/],
  ])('refuses %s', (subnet, message) => {
    expect(() => parseSubnet(subnet)).toThrow(message);
  });

  it('reads a network address', () => {
    expect(parseSubnet('172.18.0.0/16')).toEqual({ base: (172 * 256 + 18) * 65536, prefix: 16 });
  });
});
