// Port-forward over WebSocket the way current clients do it (client-go's tunneling dialer, the
// protocol "SPDY/3.1+portforward.k8s.io"): the WebSocket carries the bytes of an ordinary SPDY
// session, each binary message a piece of the stream. This Duplex is that byte stream, so the
// SPDY session and port-forward handler run unchanged on top of it.
import { Duplex } from 'node:stream';
import type { WebSocketSession } from '../../../common/websocket/session.js';

export const tunneledPortForwardProtocol = 'SPDY/3.1+portforward.k8s.io';

export class WebSocketTunnel extends Duplex {
  private session: WebSocketSession | undefined;

  constructor() {
    super({ allowHalfOpen: false });
  }

  /** Connects the tunnel to its WebSocket (made after the tunnel, as the session's handlers need it). */
  attach(session: WebSocketSession): void {
    this.session = session;
  }

  /** A binary message from the client: the next bytes of the SPDY stream. */
  receive(message: Buffer): void {
    this.push(message);
  }

  /** The WebSocket ended. */
  ended(error?: Error): void {
    this.push(null);
    this.destroy(error);
  }

  /** As net.Socket's: close once what was written is out. */
  destroySoon(): void {
    this.session?.close(1000);
  }

  override _read(): void {
    // bytes are pushed as messages arrive
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.session?.send(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.session?.close(1000);
    callback();
  }
}
