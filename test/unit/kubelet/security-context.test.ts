import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { containerSecurityContext, runAsNonRootViolation, sandboxSecurityContext } from '../../../kubelet/security-context.js';
import { fsGroupMode } from '../../../kubelet/volume-ownership.js';

const namespaces = { network: 'POD' as const, pid: 'CONTAINER' as const, ipc: 'POD' as const };
const options = { seccompProfileRoot: '/var/lib/kubelet/seccomp' };

function pod(securityContext: NonNullable<V1Pod['spec']>['securityContext'], container: V1Container): V1Pod {
  return { metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { ...(securityContext ? { securityContext } : {}), containers: [container] } };
}

describe('pod and container securityContext → CRI', () => {
  it("takes the container's user over the pod's, and the pod's groups with its fsGroup", () => {
    const container: V1Container = { name: 'c', securityContext: { runAsUser: 1000 } };
    const context = containerSecurityContext(pod({ runAsUser: 5, runAsGroup: 3000, supplementalGroups: [4000], fsGroup: 2000 }, container), container, namespaces, options);
    expect(context).toMatchObject({ runAsUser: { value: '1000' }, runAsGroup: { value: '3000' }, supplementalGroups: ['4000', '2000'], privileged: false, readonlyRootfs: false, noNewPrivs: false });
  });

  it('maps capabilities, read-only root, no privilege escalation and privileged as given', () => {
    const container: V1Container = {
      name: 'c',
      securityContext: { capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false },
    };
    expect(containerSecurityContext(pod(undefined, container), container, namespaces, options)).toMatchObject({
      capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] },
      readonlyRootfs: true,
      noNewPrivs: true,
    });
    const privileged: V1Container = { name: 'p', securityContext: { privileged: true } };
    expect(sandboxSecurityContext(pod(undefined, privileged), namespaces, options).privileged).toBe(true);
  });

  it("maps seccomp profiles, the container's over the pod's, Localhost below the profile root", () => {
    const container: V1Container = { name: 'c', securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'audit.json' } } };
    const withPod = pod({ seccompProfile: { type: 'RuntimeDefault' } }, container);
    expect(containerSecurityContext(withPod, container, namespaces, options).seccomp).toEqual({ profileType: 'Localhost', localhostRef: '/var/lib/kubelet/seccomp/audit.json' });
    expect(sandboxSecurityContext(withPod, namespaces, options).seccomp).toEqual({ profileType: 'RuntimeDefault' });
    expect(containerSecurityContext(pod(undefined, { name: 'c' }), { name: 'c' }, namespaces, options).seccomp).toBeUndefined();
  });

  it('refuses runAsNonRoot for root, unknown and non-numeric users, as upstream says it', () => {
    const plain: V1Container = { name: 'c' };
    const nonRoot = pod({ runAsNonRoot: true }, plain);
    expect(runAsNonRootViolation(nonRoot, plain, {})).toBe('container has runAsNonRoot and image will run as root');
    expect(runAsNonRootViolation(nonRoot, plain, { uid: 0 })).toBe('container has runAsNonRoot and image will run as root');
    expect(runAsNonRootViolation(nonRoot, plain, { username: 'nginx' })).toMatch(/non-numeric user \(nginx\)/);
    expect(runAsNonRootViolation(nonRoot, plain, { uid: 101 })).toBeUndefined();
    const asRoot: V1Container = { name: 'c', securityContext: { runAsUser: 0 } };
    expect(runAsNonRootViolation(pod({ runAsNonRoot: true }, asRoot), asRoot, { uid: 101 })).toMatch(/runAsUser breaks non-root policy/);
    const asUser: V1Container = { name: 'c', securityContext: { runAsUser: 1000 } };
    expect(runAsNonRootViolation(pod({ runAsNonRoot: true }, asUser), asUser, {})).toBeUndefined();
    expect(runAsNonRootViolation(pod(undefined, plain), plain, { uid: 0 })).toBeUndefined();
  });
});

describe('fsGroup modes on volumes', () => {
  it('adds group read-write to files, setgid and group search to directories, read-only volumes group read', () => {
    expect(fsGroupMode(0o100644, false, false).toString(8)).toBe('664');
    expect(fsGroupMode(0o40755, true, false).toString(8)).toBe('2775');
    expect(fsGroupMode(0o100400, false, true).toString(8)).toBe('440');
    expect(fsGroupMode(0o40700, true, true).toString(8)).toBe('2750');
  });
});
