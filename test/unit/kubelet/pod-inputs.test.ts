import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { BoundTokenRequest, PodInputsApi } from '../../../kubelet/api-port.js';
import { PodInputs } from '../../../kubelet/pod-inputs.js';

function recordingApi(now: () => number): PodInputsApi & { requests: BoundTokenRequest[] } {
  const requests: BoundTokenRequest[] = [];
  return {
    requests,
    readConfigMap: async () => undefined,
    readSecret: async () => undefined,
    listServices: async () => [],
    createBoundToken: async (request) => {
      requests.push(request);
      return { token: `token-${requests.length}`, expiresAtMs: now() + request.expirationSeconds * 1000 };
    },
  };
}

const pod: V1Pod = { metadata: { name: 'web', namespace: 'shop', uid: 'u-1' }, spec: { containers: [] } };

describe('service account tokens for pods', () => {
  it('asks for a token bound to the pod, for its service account (default when unset)', async () => {
    const now = 0;
    const api = recordingApi(() => now);
    expect(await new PodInputs(api, () => now).serviceAccountToken(pod, undefined, 3607)).toBe('token-1');
    expect(api.requests).toEqual([{ namespace: 'shop', serviceAccount: 'default', audiences: [], expirationSeconds: 3607, pod: { name: 'web', uid: 'u-1' } }]);
  });

  it('keeps a token until 80% of its lifetime, then renews it; forgetting the pod drops it', async () => {
    let now = 1_000_000;
    const api = recordingApi(() => now);
    const inputs = new PodInputs(api, () => now);
    await inputs.serviceAccountToken(pod, 'vault', 1000);
    now += 790_000;
    expect(await inputs.serviceAccountToken(pod, 'vault', 1000)).toBe('token-1');
    now += 20_000;
    expect(await inputs.serviceAccountToken(pod, 'vault', 1000)).toBe('token-2');
    expect(api.requests[1]?.audiences).toEqual(['vault']);
    inputs.forget('u-1');
    expect(await inputs.serviceAccountToken(pod, 'vault', 1000)).toBe('token-3');
  });

  it('renews a long-lived token after a day at most', async () => {
    let now = 0;
    const api = recordingApi(() => now);
    const inputs = new PodInputs(api, () => now);
    await inputs.serviceAccountToken(pod, undefined, 7 * 24 * 3600);
    now = 24 * 3600_000 + 1;
    expect(await inputs.serviceAccountToken(pod, undefined, 7 * 24 * 3600)).toBe('token-2');
  });
});
