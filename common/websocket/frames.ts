// WebSocket framing (RFC 6455), both ends: a client masks every frame it sends and a server
// masks none, so each side refuses the other kind. Fragmented messages are joined; a message
// larger than the limit is a protocol error, so a peer cannot make this side buffer without bound.
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

/** Which end of the connection this side is: it decides who masks. */
export type WebSocketRole = 'server' | 'client';

function applyMask(bytes: Buffer, mask: Buffer): Buffer {
  for (let i = 0; i < bytes.length; i++) bytes[i] = (bytes[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return bytes;
}

/** Pure: one frame; unmasked from a server, masked with `maskKey` (4 bytes) from a client. */
export function encodeFrame(opcode: number, payload: Buffer, fin = true, maskKey?: Buffer): Buffer {
  const first = (fin ? 0x80 : 0) | opcode;
  const masked = maskKey ? 0x80 : 0;
  let header: Buffer;
  if (payload.length < 126) {
    header = Buffer.from([first, masked | payload.length]);
  } else if (payload.length <= 0xffff) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = masked | 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = masked | 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  if (!maskKey) return Buffer.concat([header, payload]);
  return Buffer.concat([header, maskKey, applyMask(Buffer.from(payload), maskKey)]);
}

/**
 * Pure: the first complete frame from the peer in `buffer` and the bytes it used, or undefined
 * when more bytes are needed. Refuses frames masked the wrong way for `from` (a client's must be,
 * a server's must not), reserved bits, oversized frames and control frames that are fragmented
 * or longer than 125 bytes.
 */
export function decodeFrame(buffer: Buffer, maxPayload: number, from: WebSocketRole = 'client'): { frame: Frame; used: number } | undefined {
  if (buffer.length < 2) return undefined;
  const first = buffer[0] ?? 0;
  const second = buffer[1] ?? 0;
  if ((first & 0x70) !== 0) throw new WebSocketProtocolError('reserved bits set (no extension was negotiated)');
  const fin = (first & 0x80) !== 0;
  const opcode = first & 0x0f;
  const masked = (second & 0x80) !== 0;
  if (from === 'client' && !masked) throw new WebSocketProtocolError('a client frame must be masked');
  if (from === 'server' && masked) throw new WebSocketProtocolError('a server frame must not be masked');
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
  const maskBytes = masked ? 4 : 0;
  if (buffer.length < offset + maskBytes + length) return undefined;
  const payload = Buffer.from(buffer.subarray(offset + maskBytes, offset + maskBytes + length));
  if (masked) applyMask(payload, buffer.subarray(offset, offset + 4));
  return { frame: { fin, opcode, payload }, used: offset + maskBytes + length };
}
