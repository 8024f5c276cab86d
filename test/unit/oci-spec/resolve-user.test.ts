import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../common/errors.js';
import { buildContainerSpec } from '../../../runtime/oci/spec/build-container-spec.js';
import { resolveUser, type ResolvedUser, type UserRequest } from '../../../runtime/oci/spec/resolve-user.js';
import { busyboxGroup, busyboxImage, busyboxPasswd, specInput, withSecurityContext } from './fixtures.js';

const files = { passwd: busyboxPasswd, group: busyboxGroup };

function request(overrides: Partial<UserRequest>): UserRequest {
  return { supplementalGroups: [], supplementalGroupsPolicy: 'Merge', ...overrides };
}

describe('resolveUser', () => {
  const cases: [string, Partial<UserRequest>, Omit<ResolvedUser, 'name'>][] = [
    ['runs as root with root memberships when nothing names a user', {}, { uid: 0, gid: 0, additionalGids: [0, 10] }],
    ['takes a numeric image user and its passwd group', { imageUser: '1000' }, { uid: 1000, gid: 1000, additionalGids: [1000, 10, 29] }],
    ['uses gid 0 for a uid the image passwd does not know', { imageUser: '4242' }, { uid: 4242, gid: 0, additionalGids: [0] }],
    ['resolves an image user name through passwd', { imageUser: 'bob' }, { uid: 1001, gid: 100, additionalGids: [100, 29] }],
    ['takes uid:gid from the image', { imageUser: '1000:50' }, { uid: 1000, gid: 50, additionalGids: [50, 10, 29] }],
    ['resolves name:group from the image', { imageUser: 'bob:audio' }, { uid: 1001, gid: 29, additionalGids: [29] }],
    ['lets run_as_user override the image user', { imageUser: 'bob', runAsUser: '1000' }, { uid: 1000, gid: 1000, additionalGids: [1000, 10, 29] }],
    ['lets run_as_username override the image user', { imageUser: '0', runAsUsername: 'bob' }, { uid: 1001, gid: 100, additionalGids: [100, 29] }],
    ['lets run_as_group replace the image group', { imageUser: '1000:50', runAsGroup: '7' }, { uid: 1000, gid: 7, additionalGids: [7, 10, 29] }],
    ['applies run_as_group to the image user', { imageUser: 'bob', runAsGroup: '3000' }, { uid: 1001, gid: 3000, additionalGids: [3000, 29] }],
    ['adds CRI supplemental groups after the memberships', { imageUser: 'bob', supplementalGroups: ['5000', '29'] }, { uid: 1001, gid: 100, additionalGids: [100, 29, 5000] }],
    [
      'keeps only the requested groups under the Strict policy',
      { imageUser: 'alice', supplementalGroups: ['5000'], supplementalGroupsPolicy: 'Strict' },
      { uid: 1000, gid: 1000, additionalGids: [1000, 5000] },
    ],
    ['accepts the largest valid uid', { runAsUser: '4294967294' }, { uid: 4294967294, gid: 0, additionalGids: [0] }],
  ];
  it.each(cases)('%s', (_name, overrides, expected) => {
    expect(resolveUser(request(overrides), files)).toMatchObject(expected);
  });

  const refusals: [string, Partial<UserRequest>, RegExp][] = [
    ['an unknown user name', { imageUser: 'mallory' }, /"mallory" is not in the image's \/etc\/passwd/],
    ['an unknown group name', { imageUser: 'bob:staff' }, /"staff" is not in the image's \/etc\/group/],
    ['a uid that overflows 32 bits to 0', { imageUser: '4294967296' }, /out of range/],
    ['the reserved uid -1 written unsigned', { runAsUser: '4294967295' }, /out of range/],
    ['a huge uid', { imageUser: '99999999999999999999999' }, /out of range/],
    ['a negative uid', { runAsUser: '-1' }, /neither a decimal id/],
    ['a uid with a plus sign', { imageUser: '+1' }, /neither a decimal id/],
    ['a hexadecimal uid', { imageUser: '0x10' }, /"0x10" is not in the image's \/etc\/passwd/],
    ['a uid with spaces', { imageUser: ' 1' }, /neither a decimal id/],
    ['an overflowing gid', { imageUser: '1000:4294967296' }, /out of range/],
    ['a negative supplemental group', { supplementalGroups: ['-5'] }, /not a decimal id/],
    ['a group without a user', { imageUser: ':100' }, /names a group but no user/],
  ];
  it.each(refusals)('refuses %s', (_name, overrides, message) => {
    expect(() => resolveUser(request(overrides), files)).toThrow(message);
  });

  it('refuses a user name when the image has no /etc/passwd', () => {
    expect(() => resolveUser(request({ imageUser: 'bob' }), { passwd: undefined, group: undefined })).toThrow(InvalidArgumentError);
  });

  it('runs a numeric user when the image has no /etc/passwd', () => {
    expect(resolveUser(request({ imageUser: '1000' }), { passwd: undefined, group: undefined })).toEqual({
      uid: 1000,
      gid: 0,
      additionalGids: [0],
    });
  });

  it('ignores passwd lines whose ids would overflow', () => {
    const passwd = 'evil:x:4294967296:0::/:/bin/sh\nroot:x:0:0::/root:/bin/sh';
    expect(() => resolveUser(request({ imageUser: 'evil' }), { passwd, group: undefined })).toThrow(/"evil" is not in/);
  });
});

describe('withUser', () => {
  it('writes the resolved user from the security context into process.user', () => {
    const config = withSecurityContext({ runAsUser: { value: '1001' }, runAsGroup: { value: '29' }, supplementalGroups: ['4000'] });
    const { spec } = buildContainerSpec(specInput({ config, image: busyboxImage({ User: 'alice' }) }));
    expect(spec.process.user).toEqual({ uid: 1001, gid: 29, additionalGids: [29, 4000] });
  });

  it('refuses run_as_group without run_as_user or run_as_username, as the CRI requires', () => {
    const config = withSecurityContext({ runAsGroup: { value: '1002' } });
    expect(() => buildContainerSpec(specInput({ config }))).toThrow(/run_as_group is set without run_as_user/);
  });
});
