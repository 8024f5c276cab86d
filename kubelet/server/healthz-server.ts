// The kubelet's healthz endpoint (upstream healthzBindAddress:healthzPort, 127.0.0.1:10248 in
// kubeadm's config): plain HTTP, no authentication, /healthz only. kubeadm join and init poll it
// to see that the kubelet they started is up; it says nothing a caller could use against the node.
import { createServer } from 'node:http';
import { closeServer, listenOn } from './listen.js';

export async function startHealthzServer(listen: string): Promise<{ address: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://kubelet').pathname;
    if (path !== '/healthz') return void response.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok');
  });
  const address = await listenOn(server, listen);
  return { address, close: () => closeServer(server) };
}
