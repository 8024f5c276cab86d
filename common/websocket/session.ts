// One WebSocket connection, after the 101 answer, from either end: frames in (joined into
// messages, pings answered), binary messages out, and an orderly close. Text messages are
// refused: the channel protocols berth speaks are binary.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { WebSocketProtocolError, decodeFrame, encodeFrame, opcodes, type WebSocketRole } from './frames.js';

/** Largest message the peer may send (stdin and output chunks and resize events are far smaller). */
const maxMessageBytes = 16 * 1024 * 1024;

export class WebSocketSession {
  private pending: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentsOpcode = 0;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly onMessage: (message: Buffer) => void,
    private readonly onClose: (error?: Error) => void = () => undefined,
    private readonly role: WebSocketRole = 'server',
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.end(error));
    socket.on('close', () => this.end());
  }

  /** Bytes that followed the upgrade request on the socket belong to the first frames. */
  feed(head: Buffer): void {
    if (head.length > 0) this.receive(head);
  }

  send(message: Buffer): void {
    if (!this.closed) this.socket.write(this.frame(opcodes.binary, message));
  }

  /** Sends a close frame and ends the connection once it is written. */
  close(code = 1000, error?: Error): void {
    if (this.closed) return;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code, 0);
    this.socket.end(this.frame(opcodes.close, payload));
    this.end(error);
  }

  /** A client masks each frame with a fresh key (RFC 6455 5.3); a server masks none. */
  private frame(opcode: number, payload: Buffer): Buffer {
    return encodeFrame(opcode, payload, true, this.role === 'client' ? randomBytes(4) : undefined);
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      for (;;) {
        const decoded = decodeFrame(this.pending, maxMessageBytes, this.role === 'server' ? 'client' : 'server');
        if (!decoded) return;
        this.pending = this.pending.subarray(decoded.used);
        this.handle(decoded.frame.opcode, decoded.frame.fin, decoded.frame.payload);
        if (this.closed) return;
      }
    } catch (error) {
      this.close(1002, error as Error);
    }
  }

  private handle(opcode: number, fin: boolean, payload: Buffer): void {
    switch (opcode) {
      case opcodes.ping:
        this.socket.write(this.frame(opcodes.pong, payload));
        return;
      case opcodes.pong:
        return;
      case opcodes.close:
        this.close(1000);
        return;
      case opcodes.continuation:
        if (this.fragments.length === 0) throw new WebSocketProtocolError('a continuation frame with nothing to continue');
        break;
      case opcodes.text:
      case opcodes.binary:
        if (this.fragments.length > 0) throw new WebSocketProtocolError('a new message began before the last one ended');
        this.fragmentsOpcode = opcode;
        break;
      default:
        throw new WebSocketProtocolError(`unknown opcode ${opcode}`);
    }
    this.fragments.push(payload);
    const size = this.fragments.reduce((sum, part) => sum + part.length, 0);
    if (size > maxMessageBytes) throw new WebSocketProtocolError(`a message over ${maxMessageBytes} bytes`);
    if (!fin) return;
    const message = Buffer.concat(this.fragments);
    this.fragments = [];
    if (this.fragmentsOpcode === opcodes.text) throw new WebSocketProtocolError('text messages are not part of the channel protocol');
    this.onMessage(message);
  }

  private end(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(error);
    if (error) this.socket.destroy();
  }
}
