import { describe, expect, it } from 'vitest';
import { FailedPreconditionError, InvalidArgumentError, UnimplementedError } from '../../../common/errors.js';
import { buildContainerSpec } from '../../../runtime/oci/spec/build-container-spec.js';
import type { NamespaceOption__Output } from '../../../api/cri/messages.js';
import type { ContainerSpecInput } from '../../../runtime/oci/spec/spec-input.js';
import { namespaceOptions, sandboxConfig, sandboxSecurityContext, specInput, withSecurityContext } from './fixtures.js';

const pins = '/run/berth/sandboxes/sb1/ns';

function inputWith(options: Partial<NamespaceOption__Output>, extra: Partial<ContainerSpecInput> = {}): ContainerSpecInput {
  const input = specInput({ config: withSecurityContext({ namespaceOptions: namespaceOptions(options) }), ...extra });
  input.sandbox.config = sandboxConfig({
    linux: {
      cgroupParent: '',
      securityContext: sandboxSecurityContext({ namespaceOptions: namespaceOptions(options) }),
      sysctls: {},
      overhead: null,
      resources: null,
    },
  });
  input.sandbox.namespaces = { ...input.sandbox.namespaces, pid: `${pins}/pid` };
  return input;
}

describe('namespaces', () => {
  const cases: [string, Partial<NamespaceOption__Output>, object[]][] = [
    [
      'joins the pod network, UTS and IPC and makes its own pid and mount namespaces',
      {},
      [{ type: 'pid' }, { type: 'network', path: `${pins}/net` }, { type: 'uts', path: `${pins}/uts` }, { type: 'ipc', path: `${pins}/ipc` }, { type: 'mount' }],
    ],
    [
      'joins the pod pid namespace for pid mode POD',
      { pid: 'POD' },
      [{ type: 'pid', path: `${pins}/pid` }, { type: 'network', path: `${pins}/net` }, { type: 'uts', path: `${pins}/uts` }, { type: 'ipc', path: `${pins}/ipc` }, { type: 'mount' }],
    ],
    [
      'stays in the host pid namespace for pid mode NODE',
      { pid: 'NODE' },
      [{ type: 'network', path: `${pins}/net` }, { type: 'uts', path: `${pins}/uts` }, { type: 'ipc', path: `${pins}/ipc` }, { type: 'mount' }],
    ],
    ['stays in the host network and UTS namespaces for network mode NODE', { network: 'NODE' }, [{ type: 'pid' }, { type: 'ipc', path: `${pins}/ipc` }, { type: 'mount' }]],
    ['stays in the host IPC namespace for ipc mode NODE', { ipc: 'NODE', network: 'NODE', pid: 'NODE' }, [{ type: 'mount' }]],
  ];
  it.each(cases)('%s', (_name, options, expected) => {
    expect(buildContainerSpec(inputWith(options)).spec.linux.namespaces).toEqual(expected);
  });

  it('joins the target container pid namespace for pid mode TARGET', () => {
    const input = inputWith({ pid: 'TARGET', targetId: 'c0' }, { targetPidNamespacePath: '/proc/42/ns/pid' });
    expect(buildContainerSpec(input).spec.linux.namespaces[0]).toEqual({ type: 'pid', path: '/proc/42/ns/pid' });
  });

  it('refuses pid mode TARGET when the caller found no target', () => {
    expect(() => buildContainerSpec(inputWith({ pid: 'TARGET', targetId: 'c0' }))).toThrow(InvalidArgumentError);
  });

  it('makes a cgroup namespace on a cgroup v2 host only', () => {
    const input = inputWith({});
    input.host = { ...input.host, cgroupV2: true };
    expect(buildContainerSpec(input).spec.linux.namespaces.at(-1)).toEqual({ type: 'cgroup' });
  });

  it('sets the pod hostname only when the container has the pod UTS namespace', () => {
    expect(buildContainerSpec(inputWith({})).spec.hostname).toBe('web');
    expect(buildContainerSpec(inputWith({ network: 'NODE' })).spec.hostname).toBeUndefined();
  });

  it('refuses to join a namespace the sandbox did not pin', () => {
    const input = inputWith({ pid: 'POD' });
    input.sandbox.namespaces = { network: `${pins}/net`, ipc: `${pins}/ipc`, uts: `${pins}/uts` };
    expect(() => buildContainerSpec(input)).toThrow(FailedPreconditionError);
  });

  it('refuses a user namespace, which berth does not support yet', () => {
    const input = inputWith({ usernsOptions: { mode: 'POD', uids: [], gids: [] } });
    expect(() => buildContainerSpec(input)).toThrow(UnimplementedError);
  });

  it('refuses a network mode other than POD or NODE', () => {
    expect(() => buildContainerSpec(inputWith({ network: 'CONTAINER' }))).toThrow(/network namespace mode CONTAINER is invalid/);
  });
});
