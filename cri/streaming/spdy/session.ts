// The server side of a SPDY/3.1 connection after an HTTP upgrade: the client opens streams
// (SYN_STREAM with headers such as `streamtype: stdout`), the server replies to each and then
// both sides send data; FIN half-closes, RST_STREAM aborts. Each stream is a Node Duplex, so it
// pipes to and from processes and sockets. Flow control: the window is opened again for every
// byte received; the peers berth serves (client-go's spdystream) do not limit what they receive.
import { Duplex } from 'node:stream';
import {
  FrameType,
  RstStatus,
  SpdyProtocolError,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  flagFin,
  goAwayFrame,
  parseFrames,
  pingFrame,
  readIdAndValue,
  readSynStream,
  rstStreamFrame,
  synReplyFrame,
  windowUpdateFrame,
  type Frame,
} from './frames.js';
import { HeaderCodec } from './header-codec.js';

/** A TCP socket, or anything carrying a byte stream the same way (a WebSocket tunnel). */
export type ByteTransport = Duplex & { destroySoon(): void };

/** Largest data frame berth sends; keeps one stream from holding the socket for long. */
const maxDataChunk = 32 * 1024;
/** Incoming bytes buffered before the peer is told the connection is broken. */
const maxPendingInput = 16 * 1024 * 1024;

export class SpdyStream extends Duplex {
  private replied = false;

  constructor(
    readonly id: number,
    readonly headers: Record<string, string>,
    private readonly session: SpdySession,
  ) {
    super({ allowHalfOpen: true });
  }

  /** SYN_REPLY; the client waits for it before it uses the stream. */
  async reply(): Promise<void> {
    if (this.replied) return;
    this.replied = true;
    await this.session.sendReply(this.id);
  }

  /** Aborts the stream (RST_STREAM) without closing the connection. */
  reset(status: number = RstStatus.cancel): void {
    this.session.sendReset(this.id, status);
    this.destroy();
  }

  override _read(): void {
    // Data is pushed as frames arrive.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.session.sendData(this.id, chunk, false);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.session.sendData(this.id, Buffer.alloc(0), true);
    callback();
  }
}

export class SpdySession {
  private readonly codec = new HeaderCodec();
  private readonly streams = new Map<number, SpdyStream>();
  private pending: Buffer = Buffer.alloc(0);
  private processing: Promise<void> = Promise.resolve();
  private lastStreamId = 0;
  private closed = false;

  constructor(
    private readonly socket: ByteTransport,
    private readonly onStream: (stream: SpdyStream) => void,
    private readonly onClose: (error?: Error) => void = () => undefined,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.close(error));
    // A peer that ends its side is done with the session (SPDY clients never half-close), and
    // the HTTP server's sockets allow half-open connections, so 'close' alone would wait for us.
    socket.on('end', () => this.close());
    socket.on('close', () => this.close());
  }

  /** Bytes that followed the upgrade request on the socket belong to the first frames. */
  feed(head: Buffer): void {
    if (head.length > 0) this.receive(head);
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.pending.length > maxPendingInput) {
      this.close(new SpdyProtocolError('peer sent more than 16 MiB that does not parse as frames'));
      return;
    }
    let frames: Frame[];
    try {
      const parsed = parseFrames(this.pending);
      frames = parsed.frames;
      this.pending = parsed.rest;
    } catch (error) {
      this.close(error as Error);
      return;
    }
    // Header blocks decompress asynchronously; frames are still handled strictly in order.
    for (const frame of frames) {
      this.processing = this.processing.then(() => this.handle(frame)).catch((error: unknown) => this.close(error as Error));
    }
  }

  private async handle(frame: Frame): Promise<void> {
    if (this.closed) return;
    if (frame.kind === 'data') {
      const stream = this.streams.get(frame.streamId);
      if (!stream) {
        this.write(rstStreamFrame(frame.streamId, RstStatus.invalidStream));
        return;
      }
      if (frame.data.length > 0) {
        stream.push(frame.data);
        this.write(windowUpdateFrame(frame.streamId, frame.data.length));
        this.write(windowUpdateFrame(0, frame.data.length));
      }
      if (frame.flags & flagFin) stream.push(null);
      return;
    }
    switch (frame.type) {
      case FrameType.synStream: {
        const syn = readSynStream(frame);
        const headers = decodeHeaderBlock(await this.codec.decompress(syn.compressedHeaders));
        if (syn.streamId <= this.lastStreamId || syn.streamId % 2 === 0) {
          this.write(rstStreamFrame(syn.streamId, RstStatus.protocolError));
          return;
        }
        this.lastStreamId = syn.streamId;
        const stream = new SpdyStream(syn.streamId, headers, this);
        this.streams.set(syn.streamId, stream);
        stream.once('close', () => this.streams.delete(syn.streamId));
        if (syn.fin) stream.push(null);
        this.onStream(stream);
        return;
      }
      case FrameType.rstStream: {
        const { id } = readIdAndValue(frame.payload);
        this.streams.get(id)?.destroy();
        return;
      }
      case FrameType.ping: {
        this.write(pingFrame(readIdAndValue(frame.payload).id));
        return;
      }
      case FrameType.goAway:
        this.close();
        return;
      case FrameType.headers:
        // Trailing headers carry nothing berth uses; the block must still pass the decompressor.
        await this.codec.decompress(frame.payload.subarray(4));
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and unknown types: nothing to do.
        return;
    }
  }

  async sendReply(streamId: number): Promise<void> {
    const block = await this.codec.compress(encodeHeaderBlock({}));
    this.write(synReplyFrame(streamId, block, false));
  }

  sendData(streamId: number, data: Buffer, fin: boolean): void {
    for (let offset = 0; offset < data.length; offset += maxDataChunk) {
      const last = offset + maxDataChunk >= data.length;
      this.write(dataFrame(streamId, data.subarray(offset, offset + maxDataChunk), fin && last));
    }
    if (data.length === 0) this.write(dataFrame(streamId, data, fin));
  }

  sendReset(streamId: number, status: number): void {
    this.write(rstStreamFrame(streamId, status));
  }

  private write(frame: Buffer): void {
    if (!this.closed && this.socket.writable) this.socket.write(frame);
  }

  /** Ends every stream and the connection. Idempotent. */
  close(error?: Error): void {
    if (this.closed) return;
    if (!error && this.socket.writable) this.socket.write(goAwayFrame(this.lastStreamId, 0));
    this.closed = true;
    for (const stream of this.streams.values()) stream.destroy();
    this.streams.clear();
    this.codec.close();
    this.socket.end();
    this.socket.destroySoon();
    this.onClose(error);
  }
}
