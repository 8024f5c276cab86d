// Who is calling the kubelet API and what they may do, decided the upstream way: a client
// certificate signed by --client-ca-file or a bearer token the API server vouches for
// (TokenReview), then a SubjectAccessReview on the node's subresource for the path. Nothing is
// served anonymously. Without --client-ca-file no certificate names anyone: TLS would otherwise
// verify client certificates against Node's public root store, and any certificate a public CA
// issued would log in as its CN.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AccessRequest, ReviewApi, UserInfo } from '../api-port.js';

/** Pure: the node subresource and verb upstream checks for a request path and method. */
export function accessAttributes(method: string, path: string, nodeName: string): Omit<AccessRequest, 'user'> {
  const verbs: Record<string, string> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
  const first = path.split('/')[1] ?? '';
  const subresources: Record<string, string> = { stats: 'stats', metrics: 'metrics', logs: 'log', spec: 'spec', checkpoint: 'checkpoint' };
  return { verb: verbs[method] ?? method.toLowerCase(), resource: 'nodes', subresource: subresources[first] ?? 'proxy', name: nodeName };
}

function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export type Authenticated = { user: UserInfo } | { failure: string };

// id-kp-clientAuth: upstream verifies client certificates for this usage, so a serving
// certificate from the same CA (another node's, say) never names a caller.
const clientAuthUsage = '1.3.6.1.5.5.7.3.2';

/** The user a verified client certificate names, if it may be used as a client's at all. */
function certificateUser(socket: TLSSocket): UserInfo | undefined {
  if (!socket.authorized) return undefined;
  const certificate = socket.getPeerCertificate();
  // No extended key usage means any usage (RFC 5280 4.2.1.12), as Go's verifier reads it.
  if (certificate.ext_key_usage && !certificate.ext_key_usage.includes(clientAuthUsage)) return undefined;
  const [username] = asList(certificate.subject?.CN);
  return username ? { username, groups: [...asList(certificate.subject?.O), 'system:authenticated'] } : undefined;
}

/** `clientCertificates`: whether a --client-ca-file was given, the only CA a certificate may chain to. */
export async function authenticate(request: Pick<IncomingMessage, 'headers' | 'socket'>, reviews: ReviewApi, clientCertificates: boolean): Promise<Authenticated> {
  const user = clientCertificates ? certificateUser(request.socket as TLSSocket) : undefined;
  if (user) return { user };
  const header = request.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (bearer) {
    const reviewed = await reviews.reviewToken(bearer);
    return reviewed ? { user: reviewed } : { failure: 'the bearer token was not accepted by the API server' };
  }
  return {
    failure: clientCertificates
      ? 'no valid client certificate (signed by the client CA, in its validity period, for client authentication) and no bearer token'
      : 'no bearer token (client certificates are not accepted: the kubelet has no --client-ca-file)',
  };
}
