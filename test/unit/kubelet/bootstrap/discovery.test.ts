// Token discovery's decisions, with a recorder in place of the HTTPS reads (the e2e file
// test/e2e/join/berth-join.test.ts runs the same code against the real API server).
import { describe, expect, it } from 'vitest';
import { discoverCluster, type DiscoveryOptions } from '../../../../kubelet/bootstrap/discovery.js';
import { UntrustedServerError, type FetchResult } from '../../../../kubelet/bootstrap/cluster-info-fetch.js';
import { caHashKubeadmPrinted, caPem, kubeconfig, signature, token } from './cluster-info-vector.js';

const clusterInfo = (data: Record<string, string>): FetchResult => ({ status: 200, body: JSON.stringify({ data }) });
const signed = clusterInfo({ kubeconfig, [`jws-kubeconfig-${token.id}`]: signature });

function options(reads: ((ca: string | undefined) => FetchResult | Error)[], extra: Partial<DiscoveryOptions> = {}) {
  const seen: (string | undefined)[] = [];
  const fetch = async (_url: string, ca: string | undefined): Promise<FetchResult> => {
    seen.push(ca);
    const next = reads[Math.min(seen.length - 1, reads.length - 1)];
    const answer = next ? next(ca) : new Error('no more reads');
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const opts: DiscoveryOptions = {
    endpoint: '127.0.0.1:42715',
    token,
    caPins: [caHashKubeadmPrinted],
    unsafeSkipCaVerification: false,
    timeoutMs: 50,
    retryMs: 5,
    fetch,
    ...extra,
  };
  return { opts, seen };
}

describe('token discovery', () => {
  it('returns the server and CA after an unverified read and a read verified with the pinned CA', async () => {
    const { opts, seen } = options([() => signed]);
    expect(await discoverCluster(opts)).toEqual({ server: 'https://127.0.0.1:42715', caPem });
    expect(seen).toEqual([undefined, caPem]);
  });

  it('retries while the token has no signature yet, then uses the one that appears', async () => {
    const { opts, seen } = options([() => clusterInfo({ kubeconfig }), () => new Error('ECONNRESET'), () => signed], { timeoutMs: 10_000 });
    await expect(discoverCluster(opts)).resolves.toMatchObject({ server: 'https://127.0.0.1:42715' });
    expect(seen.length).toBeGreaterThanOrEqual(4);
  });

  type Read = (ca: string | undefined) => FetchResult | Error;
  it.each<[string, Read[], Partial<DiscoveryOptions>, RegExp]>([
    ['a token the cluster never signed, once the deadline passes', [() => clusterInfo({ kubeconfig })], {}, /gave up after .*carries no signature for token id xjwjng/],
    ['no answer at all, once the deadline passes', [() => new Error('connect ECONNREFUSED 127.0.0.1:42715')], {}, /gave up after .*ECONNREFUSED/],
    ['a wrong token secret', [() => signed], { token: { ...token, secret: 'aaaaaaaaaaaaaaaa' } }, /the token does not match cluster-info .*signature does not match/],
    ['a CA that matches no pin', [() => signed], { caPins: [`sha256:${'0'.repeat(64)}`] }, /matches none of --discovery-token-ca-cert-hash/],
    [
      'a server whose certificate the pinned CA did not sign',
      [(ca) => (ca ? new UntrustedServerError('self-signed certificate') : signed)],
      {},
      /does not present a certificate from the CA in its own cluster-info/,
    ],
    ['content that changed between the two reads', [(ca) => (ca ? clusterInfo({ kubeconfig: `${kubeconfig}# changed\n` }) : signed)], {}, /changed between the unverified and the verified read/],
    ['no pin and no unsafe skip', [() => signed], { caPins: [] }, /needs --discovery-token-ca-cert-hash/],
    ['an answer that is not a ConfigMap', [() => ({ status: 200, body: '<html>' })], {}, /not a ConfigMap: is this a Kubernetes API server/],
    ['a cluster-info without a kubeconfig', [() => clusterInfo({})], {}, /has no kubeconfig: is this a kubeadm cluster/],
  ])('refuses %s', async (_name, reads, extra, message) => {
    const { opts } = options(reads, extra);
    await expect(discoverCluster(opts)).rejects.toThrow(message);
  });

  it('accepts any CA when told to skip verification, still checking the signature', async () => {
    const { opts } = options([() => signed], { caPins: [], unsafeSkipCaVerification: true });
    await expect(discoverCluster(opts)).resolves.toMatchObject({ caPem });
    const wrong = options([() => signed], { caPins: [], unsafeSkipCaVerification: true, token: { ...token, secret: 'bbbbbbbbbbbbbbbb' } });
    await expect(discoverCluster(wrong.opts)).rejects.toThrow(/does not match/);
  });
});
