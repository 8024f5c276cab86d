// WebSocket framing (RFC 6455) for the streaming server, the server's side only: frames from a
// client must be masked and are unmasked here; frames to a client are not masked. Fragmented
// messages are joined; a message larger than the limit is a protocol error, so a client cannot
// make the server buffer without bound.
import { createHash } from 'node:crypto';

export const opcodes = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export class WebSocketProtocolError extends Error {}

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Pure: the Sec-WebSocket-Accept answer to a client's Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** Pure: one unmasked server frame. */
export function encodeFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const first = (fin ? 0x80 : 0) | opcode;
  let header: Buffer;
  if (payload.length < 126) {
    header = Buffer.from([first, payload.length]);
  } else if (payload.length <= 0xffff) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  return Buffer.concat([header, payload]);
}

/**
 * Pure: the first complete client frame in `buffer` and the bytes it used, or undefined when
 * more bytes are needed. Refuses unmasked frames, reserved bits, oversized frames and control
 * frames that are fragmented or longer than 125 bytes.
 */
export function decodeFrame(buffer: Buffer, maxPayload: number): { frame: Frame; used: number } | undefined {
  if (buffer.length < 2) return undefined;
  const first = buffer[0] ?? 0;
  const second = buffer[1] ?? 0;
  if ((first & 0x70) !== 0) throw new WebSocketProtocolError('reserved bits set (no extension was negotiated)');
  const fin = (first & 0x80) !== 0;
  const opcode = first & 0x0f;
  if ((second & 0x80) === 0) throw new WebSocketProtocolError('a client frame must be masked');
  let length = second & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    const long = buffer.readBigUInt64BE(2);
    if (long > BigInt(maxPayload)) throw new WebSocketProtocolError(`a frame of ${long} bytes is over the ${maxPayload}-byte limit`);
    length = Number(long);
    offset = 10;
  }
  if (length > maxPayload) throw new WebSocketProtocolError(`a frame of ${length} bytes is over the ${maxPayload}-byte limit`);
  if (opcode >= 0x8 && (!fin || length > 125)) throw new WebSocketProtocolError('control frames may not be fragmented or longer than 125 bytes');
  if (buffer.length < offset + 4 + length) return undefined;
  const mask = buffer.subarray(offset, offset + 4);
  const payload = Buffer.from(buffer.subarray(offset + 4, offset + 4 + length));
  for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return { frame: { fin, opcode, payload }, used: offset + 4 + length };
}
