import { describe, expect, it } from 'vitest';
import { xattrAllowed } from '../../../runtime/snapshots/unpack-layer.js';

describe('xattrAllowed', () => {
  const cases: [string, boolean][] = [
    ['user.comment', true],
    ['security.capability', true],
    ['security.selinux', true],
    ['trusted.md5', true],
    ['system.posix_acl_access', true],
    ['system.posix_acl_default', true],
    ['trusted.overlay.opaque', false],
    ['trusted.overlay.redirect', false],
    ['trusted.overlay.metacopy', false],
    ['system.nfs4_acl', false],
    ['bogus', false],
  ];
  for (const [name, allowed] of cases) {
    it(`${allowed ? 'lets' : 'stops'} a layer set ${name}`, () => {
      expect(xattrAllowed(name)).toBe(allowed);
    });
  }
});
