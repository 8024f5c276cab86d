// The Kubernetes channel protocol over WebSocket (v4.channel.k8s.io, v5.channel.k8s.io): every
// binary message starts with its channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize); v5
// adds [255, channel] from the client to close a channel (stdin's end). The streams here look
// like the SPDY ones to the remote-command code: stdin and resize readable, the rest writable.
// Writing the error channel is the last act of a session, so ending it closes the connection.
import { Duplex } from 'node:stream';
import { channels, closeChannel } from '../../../common/websocket/channel-protocol.js';
import type { WebSocketSession } from '../../../common/websocket/session.js';

const channelNumbers: Record<string, number> = channels;

class ChannelStream extends Duplex {
  private inputEnded = false;

  constructor(
    private readonly channel: number,
    private readonly session: WebSocketSession,
    private readonly onFinal: () => void,
  ) {
    super({ allowHalfOpen: true });
  }

  override _read(): void {
    // data is pushed as messages arrive
  }

  input(data: Buffer): void {
    if (!this.inputEnded) this.push(data);
  }

  endInput(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    this.push(null);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (chunk.length > 0) this.session.send(Buffer.concat([Buffer.from([this.channel]), chunk]));
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.onFinal();
    callback();
  }
}

/** The channels a request needs, fed from the session's messages. */
export class ChannelDemux {
  readonly streams = new Map<string, Duplex>();
  private readonly byNumber = new Map<number, ChannelStream>();

  private readonly v5: boolean;

  constructor(session: WebSocketSession, names: Iterable<string>, protocol: string) {
    this.v5 = protocol === 'v5.channel.k8s.io';
    for (const name of names) {
      const channel = channelNumbers[name];
      if (channel === undefined) continue;
      const stream = new ChannelStream(channel, session, name === 'error' ? () => session.close(1000) : () => undefined);
      this.streams.set(name, stream);
      this.byNumber.set(channel, stream);
    }
  }

  /** A message from the client: data for stdin or resize, or (v5) a channel's close. */
  receive(message: Buffer): void {
    const channel = message[0];
    if (channel === undefined) return;
    if (channel === closeChannel && this.v5) {
      const closed = message[1];
      if (closed !== undefined) this.byNumber.get(closed)?.endInput();
      return;
    }
    const stream = this.byNumber.get(channel);
    if (stream && (channel === channelNumbers['stdin'] || channel === channelNumbers['resize'])) stream.input(message.subarray(1));
  }

  /** The connection ended: the client's channels end too. */
  end(): void {
    for (const [name, stream] of this.byNumber) if (name === channelNumbers['stdin'] || name === channelNumbers['resize']) stream.endInput();
  }
}
