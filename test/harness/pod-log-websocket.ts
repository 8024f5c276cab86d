// A pod's log read as the upstream conformance spec "should support retrieving logs from the
// container over websockets" reads it: GET .../pods/NAME/log through the API server upgraded to a
// WebSocket with the binary.k8s.io protocol, every message kept, until the API server closes the
// connection (which it does when the kubelet's answer ends).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocketSession } from '../../common/websocket/session.js';
import { dialWebSocket } from '../../cri/client/websocket-dial.js';

/** `pki`: the cluster's PKI directory (its ca.crt, and admin.crt/admin.key to call as). */
export async function podLogOverWebSocket(apiServer: string, pki: string, namespace: string, pod: string, container: string): Promise<string> {
  const url = `${apiServer}/api/v1/namespaces/${namespace}/pods/${pod}/log?container=${encodeURIComponent(container)}`;
  const tls = { ca: readFileSync(join(pki, 'ca.crt')), cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')) };
  const { socket, head } = await dialWebSocket(url, ['binary.k8s.io'], tls);
  const messages: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const session = new WebSocketSession(
      socket,
      (message) => messages.push(message),
      (error) => (error ? reject(error) : resolve(Buffer.concat(messages).toString('utf8'))),
      'client',
    );
    session.feed(head);
  });
}
