import { describe, expect, it } from 'vitest';
import { parseMountinfo } from '../../../common/linux/mountinfo.js';
import { pinnedNamespacesIn, validateHostname } from '../../../runtime/linux/namespaces.js';

const mountinfo = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '40 27 254:0 /var/lib/berth/sandboxes /var/lib/berth/sandboxes rw,relatime shared:1 - ext4 /dev/vda rw',
  '51 40 0:4 ipc:[4026532251] /var/lib/berth/sandboxes/abc/ns/ipc rw - nsfs nsfs rw',
  '53 40 0:4 net:[4026532252] /var/lib/berth/sandboxes/abc/ns/net rw - nsfs nsfs rw',
  '54 27 0:4 net:[4026532999] /run/netns/other rw shared:5 - nsfs nsfs rw',
  '55 40 0:4 uts:[4026532250] /var/lib/berth/sandboxes/a\\040b/ns/uts rw - nsfs nsfs rw',
  '',
].join('\n');

describe('reading pinned namespaces from mountinfo', () => {
  it('lists the nsfs mounts under the pin root with kind and inode', () => {
    expect(pinnedNamespacesIn(mountinfo, '/var/lib/berth/sandboxes')).toEqual([
      { path: '/var/lib/berth/sandboxes/abc/ns/ipc', kind: 'ipc', inode: '4026532251' },
      { path: '/var/lib/berth/sandboxes/abc/ns/net', kind: 'net', inode: '4026532252' },
      { path: '/var/lib/berth/sandboxes/a b/ns/uts', kind: 'uts', inode: '4026532250' },
    ]);
  });

  it('ignores a sibling directory that shares the prefix', () => {
    expect(pinnedNamespacesIn(mountinfo, '/var/lib/berth/sand')).toEqual([]);
  });

  it('sees whether a mount is shared', () => {
    const root = parseMountinfo(mountinfo).find((e) => e.mountPoint === '/var/lib/berth/sandboxes');
    expect(root?.shared).toBe(true);
  });
});

describe('hostnames for a UTS namespace', () => {
  it.each([['web'], ['web-0.web.default'], ['a'.repeat(63)]])('accepts %s', (hostname) => {
    expect(() => validateHostname(hostname)).not.toThrow();
  });

  it.each([
    ['an option-like name', '-F/etc/shadow'],
    ['an empty name', ''],
    ['whitespace', 'web x'],
    ['a newline', 'web\nx'],
    ['a trailing dash', 'web-'],
    ['65 characters', 'a'.repeat(65)],
    ['a slash', 'web/x'],
  ])('refuses %s', (_name, hostname) => {
    expect(() => validateHostname(hostname)).toThrow(/DNS labels/);
  });
});
