// The one HTTPS GET discovery needs: kube-public/cluster-info, anonymously. The first read cannot
// verify the server (the CA is what it is fetching); the second is made with the CA just pinned.
import { request } from 'node:https';

export interface FetchResult {
  status: number;
  body: string;
}

/** A TLS failure of the verified read: the server's certificate does not chain to the pinned CA. */
export class UntrustedServerError extends Error {}

const tlsCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

export function clusterInfoUrl(endpoint: string): string {
  return `https://${endpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info`;
}

/** GET `url`; `ca` undefined: the server is not verified (the first, pre-pinning read). */
export function fetchClusterInfo(url: string, ca: string | undefined, timeoutMs: number): Promise<FetchResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...(ca === undefined ? { rejectUnauthorized: false } : { ca }), timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      reject(ca !== undefined && tlsCodes.has(error.code ?? '') ? new UntrustedServerError(error.message, { cause: error }) : error);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.end();
  });
}
