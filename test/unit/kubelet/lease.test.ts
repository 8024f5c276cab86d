import type { V1Lease } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/logger.js';
import type { LeaseApi } from '../../../kubelet/api-port.js';
import { LeaseRenewer, renewedLease } from '../../../kubelet/lease.js';

const deps = { nodeName: 'node-a', nodeUid: 'node-uid', durationSeconds: 40 };

describe('node lease', () => {
  it('is held by the node in kube-node-lease for 40 s and owned by the Node', () => {
    const lease = renewedLease(deps, new Date('2026-11-22T10:00:00.123Z'));
    expect(lease.metadata).toMatchObject({ name: 'node-a', namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: 'node-uid' }] });
    expect(lease.spec).toMatchObject({ holderIdentity: 'node-a', leaseDurationSeconds: 40 });
  });

  it('serializes renewTime with microseconds, as the API requires', () => {
    const lease = renewedLease(deps, new Date('2026-11-22T10:00:00.123Z'));
    expect(JSON.parse(JSON.stringify(lease)).spec.renewTime).toBe('2026-11-22T10:00:00.123000Z');
  });

  it('creates the lease when it is missing and replaces it, keeping its resourceVersion, afterwards', async () => {
    const calls: string[] = [];
    let stored: V1Lease | undefined;
    const api: LeaseApi = {
      readLease: async () => stored,
      createLease: async (lease) => {
        calls.push('create');
        stored = { ...lease, metadata: { ...lease.metadata, resourceVersion: '1' } };
        return stored;
      },
      replaceLease: async (lease) => {
        calls.push(`replace rv=${lease.metadata?.resourceVersion ?? ''}`);
        stored = lease;
        return lease;
      },
    };
    const renewer = new LeaseRenewer({ ...deps, api, renewMs: 10_000, logger: silentLogger() });
    await renewer.renewOnce();
    await renewer.renewOnce();
    expect(calls).toEqual(['create', 'replace rv=1']);
  });
});
