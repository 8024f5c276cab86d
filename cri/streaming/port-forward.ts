// Port-forward over SPDY (portforward.k8s.io): for every connection the client makes locally it
// opens a pair of streams sharing a `requestid`, an error stream and a data stream, each naming
// the `port`. The data stream is joined to a TCP connection to that port inside the pod; what
// goes wrong is written to the error stream, and the pair ends with the connection.
import type { Logger } from '../../common/logger.js';
import type { NetnsConnection } from '../../runtime/linux/netns-dial.js';
import type { SpdyStream } from './spdy/session.js';

export const portForwardProtocols = ['portforward.k8s.io'];

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
}

export class PortForwardHandler {
  private readonly pairs = new Map<string, Pair>();
  /** Connections into the pod still open: closed with the session. */
  private readonly open = new Set<NetnsConnection>();

  constructor(
    private readonly allowedPorts: ReadonlySet<number>,
    private readonly dial: (port: number) => NetnsConnection,
    private readonly logger: Logger,
  ) {}

  add(stream: SpdyStream): void {
    const type = stream.headers['streamtype'];
    const port = Number(stream.headers['port']);
    const key = stream.headers['requestid'] ?? String(port);
    if ((type !== 'error' && type !== 'data') || !Number.isInteger(port)) {
      stream.reset();
      return;
    }
    const pair = this.pairs.get(key) ?? {};
    pair[type] = stream;
    this.pairs.set(key, pair);
    void stream.reply();
    if (pair.error && pair.data) {
      this.pairs.delete(key);
      this.forward(port, pair.error, pair.data);
    }
  }

  private forward(port: number, error: SpdyStream, data: SpdyStream): void {
    if (this.allowedPorts.size > 0 && !this.allowedPorts.has(port)) {
      error.end(`port ${port} was not part of the PortForward request`);
      data.end();
      return;
    }
    const connection = this.dial(port);
    this.open.add(connection);
    connection.stream.once('close', () => this.open.delete(connection));
    data.pipe(connection.stream);
    connection.stream.pipe(data);
    connection.stream.on('error', () => undefined);
    data.on('error', () => connection.stream.destroy());
    void connection.failure.then((reason) => {
      if (reason) {
        this.logger.info({ port, reason }, 'port-forward connection failed');
        if (!error.writableEnded) error.end(`error forwarding port ${port} to pod: ${reason}`);
      } else if (!error.writableEnded) {
        error.end();
      }
      if (!data.writableEnded) data.end();
    });
  }

  /** Ends every connection still open (the session is over): each relay process is killed with its stream. */
  close(): void {
    for (const connection of this.open) connection.stream.destroy();
    this.open.clear();
  }
}
