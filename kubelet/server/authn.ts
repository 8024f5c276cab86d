// Who is calling the kubelet API and what they may do, decided the upstream way: a client
// certificate signed by --client-ca-file or a bearer token the API server vouches for
// (TokenReview), then a SubjectAccessReview on the node's subresource for the path. Nothing is
// served anonymously.
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

export async function authenticate(request: IncomingMessage, reviews: ReviewApi): Promise<Authenticated> {
  const socket = request.socket as TLSSocket;
  if (socket.authorized) {
    const subject = socket.getPeerCertificate().subject;
    const [username] = asList(subject?.CN);
    if (username) return { user: { username, groups: [...asList(subject?.O), 'system:authenticated'] } };
  }
  const header = request.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (bearer) {
    const user = await reviews.reviewToken(bearer);
    return user ? { user } : { failure: 'the bearer token was not accepted by the API server' };
  }
  return { failure: 'no client certificate signed by the client CA and no bearer token' };
}
