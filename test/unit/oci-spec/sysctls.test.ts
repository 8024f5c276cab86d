import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../common/errors.js';
import { buildContainerSpec } from '../../../runtime/oci/spec/build-container-spec.js';
import { checkedSysctls, type SysctlScope } from '../../../runtime/oci/spec/sysctls.js';
import { sandboxConfig, sandboxSecurityContext, specInput } from './fixtures.js';

const ownBoth: SysctlScope = { ownNetwork: true, ownIpc: true };

describe('checkedSysctls', () => {
  const accepted: [string, string, string][] = [
    ['a net sysctl in the pod network namespace', 'net.ipv4.ip_local_port_range', '1024 65000'],
    ['a shared-memory sysctl', 'kernel.shm_rmid_forced', '1'],
    ['a message-queue sysctl', 'kernel.msgmax', '65536'],
    ['the semaphore sysctl', 'kernel.sem', '250 32000 100 128'],
    ['a POSIX message-queue sysctl', 'fs.mqueue.msg_max', '20'],
    ['a per-interface sysctl', 'net.ipv4.conf.all.route_localnet', '1'],
  ];
  it.each(accepted)('accepts %s', (_name, key, value) => {
    expect(checkedSysctls({ [key]: value }, ownBoth)).toEqual({ [key]: value });
  });

  const refused: [string, Record<string, string>, SysctlScope, RegExp][] = [
    ['a sysctl no namespace scopes', { 'kernel.panic': '1' }, ownBoth, /not namespaced/],
    ['a vm sysctl', { 'vm.overcommit_memory': '1' }, ownBoth, /not namespaced/],
    ['kernel.semfoo, which only looks like kernel.sem', { 'kernel.semfoo': '1' }, ownBoth, /not namespaced/],
    ['a net sysctl in a host-network pod', { 'net.ipv4.ip_forward': '1' }, { ownNetwork: false, ownIpc: true }, /host-network pod/],
    ['an IPC sysctl in a host-IPC pod', { 'kernel.shmmax': '1' }, { ownNetwork: true, ownIpc: false }, /host-IPC pod/],
    ['a value smuggling a second key after a newline', { 'net.ipv4.ip_forward': '1\nkernel.panic=1' }, ownBoth, /invalid value/],
    ['a value with "="', { 'net.ipv4.ip_forward': 'kernel.panic=1' }, ownBoth, /invalid value/],
    ['a value with a carriage return', { 'net.ipv4.ip_forward': '1\r' }, ownBoth, /invalid value/],
    ['a value with a NUL byte', { 'net.ipv4.ip_forward': '1\0' }, ownBoth, /invalid value/],
    ['an empty value', { 'net.ipv4.ip_forward': '' }, ownBoth, /invalid value/],
    ['a slash-separated name', { 'net/ipv4/ip_forward': '1' }, ownBoth, /dotted form/],
    ['a name climbing out of /proc/sys', { 'net.ipv4/../../kernel.panic': '1' }, ownBoth, /dotted form/],
    ['a name with an empty segment', { 'net..ipv4': '1' }, ownBoth, /dotted form/],
    ['a name with a newline', { 'net.ipv4.ip_forward\nkernel.panic': '1' }, ownBoth, /dotted form/],
  ];
  it.each(refused)('refuses %s', (_name, sysctls, scope, message) => {
    const attempt = () => checkedSysctls(sysctls, scope);
    expect(attempt).toThrow(InvalidArgumentError);
    expect(attempt).toThrow(message);
  });
});

describe('withSysctls', () => {
  it('writes the pod sysctls into linux.sysctl', () => {
    const input = specInput();
    input.sandbox.config = sandboxConfig({
      linux: { cgroupParent: '', securityContext: sandboxSecurityContext(), sysctls: { 'net.core.somaxconn': '1024' }, overhead: null, resources: null },
    });
    expect(buildContainerSpec(input).spec.linux.sysctl).toEqual({ 'net.core.somaxconn': '1024' });
  });
});
