// Binds a server to "host:port" (IPv6 in brackets; port 0 picks a free one) and answers the
// address it got, in the same form; closes one without waiting for its open connections.
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';

export async function listenOn(server: Server, address: string): Promise<string> {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(separator + 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return `${bound.address.includes(':') ? `[${bound.address}]` : bound.address}:${bound.port}`;
}

export function closeServer(server: HttpServer): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    // Followed logs and keep-alive connections would hold the close open.
    server.closeAllConnections();
  });
}
