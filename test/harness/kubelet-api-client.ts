// Calling a kubelet API the way its callers do, over TLS, one connection per call (a client
// certificate belongs to the connection): the API server with a certificate or a bearer token,
// exec/attach/port-forward as SPDY/3.1 upgrades. Answers the status and body, or the status of the
// upgrade when the server switches protocols.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { KeyPair } from './test-ca.js';

/** Who calls: a client certificate, a bearer token, both or neither. */
export interface Caller {
  cert?: KeyPair;
  token?: string;
}

export interface Call {
  method?: string;
  path: string;
  /** Sent as an upgrade to SPDY/3.1, as the API server proxies exec, attach and port-forward. */
  upgrade?: boolean;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  body: string;
}

/** Every path of the kubelet API, each as the API server or a scraper calls it, for one container. */
export function kubeletApiPaths(namespace: string, pod: string, container: string): Record<string, Call> {
  const named = `${namespace}/${pod}/${container}`;
  return {
    '/pods': { path: '/pods' },
    '/healthz': { path: '/healthz' },
    '/metrics': { path: '/metrics' },
    '/metrics/cadvisor': { path: '/metrics/cadvisor' },
    '/metrics/resource': { path: '/metrics/resource' },
    '/metrics/probes': { path: '/metrics/probes' },
    '/stats/summary': { path: '/stats/summary' },
    '/containerLogs': { path: `/containerLogs/${named}` },
    '/run': { method: 'POST', path: `/run/${named}?cmd=echo%20ran-in-${container}` },
    '/exec': { method: 'POST', path: `/exec/${named}?command=echo&command=hi&output=1`, upgrade: true },
    '/attach': { method: 'POST', path: `/attach/${named}?output=1`, upgrade: true },
    '/portForward': { method: 'POST', path: `/portForward/${namespace}/${pod}?port=80`, upgrade: true },
  };
}

/** `address`: host:port as the server reported it. */
export function callKubeletApi(address: string, call: Call, caller: Caller): Promise<Answer> {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  const upgrade = call.upgrade ? { connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': call.path.startsWith('/portForward') ? 'portforward.k8s.io' : 'v4.channel.k8s.io' } : {};
  return new Promise((resolve, reject) => {
    const outgoing = request({
      host: '127.0.0.1',
      port,
      method: call.method ?? 'GET',
      path: call.path,
      agent: false,
      // The API server does not check the kubelet's serving certificate either, unless told to.
      rejectUnauthorized: false,
      ...(caller.cert ? { cert: readFileSync(caller.cert.cert), key: readFileSync(caller.cert.key) } : {}),
      headers: { ...(caller.token ? { authorization: `Bearer ${caller.token}` } : {}), ...upgrade, ...call.headers },
    });
    outgoing.setTimeout(60_000, () => outgoing.destroy(new Error(`no answer to ${call.method ?? 'GET'} ${call.path.slice(0, 100)}`)));
    outgoing.once('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, body: '' });
    });
    outgoing.once('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.once('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.once('error', reject);
    });
    outgoing.once('error', reject);
    outgoing.end();
  });
}
