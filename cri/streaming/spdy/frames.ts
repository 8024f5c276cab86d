// SPDY/3.1 framing (pure): splitting a byte stream into frames and writing frames. Header blocks
// stay compressed here; header-codec.ts owns the zlib contexts they need.
//
//   control frame: |1| version(15) | type(16) | flags(8) | length(24) | payload
//   data frame:    |0| stream id(31)           | flags(8) | length(24) | payload
export const spdyVersion = 3;

export const FrameType = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

export const flagFin = 0x01;

/** RST_STREAM status codes the server sends. */
export const RstStatus = { protocolError: 1, invalidStream: 2, refusedStream: 3, cancel: 5, internalError: 6 } as const;

export type Frame = { kind: 'data'; streamId: number; flags: number; data: Buffer } | { kind: 'control'; type: number; flags: number; payload: Buffer };

const headerLength = 8;
/** Frames larger than this are refused: SPDY lengths are 24 bits; nobody sends more here. */
export const maxFrameLength = 0xffffff;

/** Takes complete frames off the front of `buffer`; returns them and the unconsumed rest. */
export function parseFrames(buffer: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let offset = 0;
  while (buffer.length - offset >= headerLength) {
    const first = buffer.readUInt32BE(offset);
    const flags = buffer.readUInt8(offset + 4);
    const length = buffer.readUIntBE(offset + 5, 3);
    if (buffer.length - offset - headerLength < length) break;
    const payload = buffer.subarray(offset + headerLength, offset + headerLength + length);
    if (first & 0x80000000) {
      const version = (first >>> 16) & 0x7fff;
      if (version !== spdyVersion) throw new SpdyProtocolError(`SPDY version ${version} is not supported (only 3)`);
      frames.push({ kind: 'control', type: first & 0xffff, flags, payload });
    } else {
      frames.push({ kind: 'data', streamId: first & 0x7fffffff, flags, data: payload });
    }
    offset += headerLength + length;
  }
  return { frames, rest: buffer.subarray(offset) };
}

export class SpdyProtocolError extends Error {}

function frameHeader(first: number, flags: number, length: number): Buffer {
  if (length > maxFrameLength) throw new SpdyProtocolError(`frame of ${length} bytes exceeds SPDY's 24-bit length`);
  const header = Buffer.alloc(headerLength);
  header.writeUInt32BE(first >>> 0, 0);
  header.writeUInt8(flags, 4);
  header.writeUIntBE(length, 5, 3);
  return header;
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader((0x80000000 | (spdyVersion << 16) | type) >>> 0, flags, payload.length), payload]);
}

export function dataFrame(streamId: number, data: Buffer, fin: boolean): Buffer {
  return Buffer.concat([frameHeader(streamId & 0x7fffffff, fin ? flagFin : 0, data.length), data]);
}

const u32 = (...values: number[]): Buffer => {
  const out = Buffer.alloc(values.length * 4);
  for (const [i, v] of values.entries()) out.writeUInt32BE(v >>> 0, i * 4);
  return out;
};

export function synReplyFrame(streamId: number, compressedHeaders: Buffer, fin: boolean): Buffer {
  return controlFrame(FrameType.synReply, fin ? flagFin : 0, Buffer.concat([u32(streamId & 0x7fffffff), compressedHeaders]));
}

export function rstStreamFrame(streamId: number, status: number): Buffer {
  return controlFrame(FrameType.rstStream, 0, u32(streamId & 0x7fffffff, status));
}

export function pingFrame(id: number): Buffer {
  return controlFrame(FrameType.ping, 0, u32(id));
}

export function goAwayFrame(lastStreamId: number, status: number): Buffer {
  return controlFrame(FrameType.goAway, 0, u32(lastStreamId & 0x7fffffff, status));
}

export function windowUpdateFrame(streamId: number, delta: number): Buffer {
  return controlFrame(FrameType.windowUpdate, 0, u32(streamId & 0x7fffffff, delta & 0x7fffffff));
}

export interface SynStream {
  streamId: number;
  associatedId: number;
  fin: boolean;
  compressedHeaders: Buffer;
}

export function readSynStream(frame: { flags: number; payload: Buffer }): SynStream {
  if (frame.payload.length < 10) throw new SpdyProtocolError('SYN_STREAM frame too short');
  return {
    streamId: frame.payload.readUInt32BE(0) & 0x7fffffff,
    associatedId: frame.payload.readUInt32BE(4) & 0x7fffffff,
    fin: (frame.flags & flagFin) !== 0,
    compressedHeaders: frame.payload.subarray(10),
  };
}

/** Stream id (or ping id) and the 32-bit value after it, for RST_STREAM, PING, WINDOW_UPDATE. */
export function readIdAndValue(payload: Buffer): { id: number; value: number } {
  if (payload.length < 4) throw new SpdyProtocolError('control frame too short');
  return { id: payload.readUInt32BE(0) & 0x7fffffff, value: payload.length >= 8 ? payload.readUInt32BE(4) : 0 };
}

/** An uncompressed header block: count, then length-prefixed names and values. */
export function encodeHeaderBlock(headers: Record<string, string>): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** Names are lower-cased; several values of one name (NUL-separated in SPDY) are joined by ",". */
export function decodeHeaderBlock(block: Buffer): Record<string, string> {
  const headers: Record<string, string> = {};
  let offset = 0;
  const read = (): string => {
    if (offset + 4 > block.length) throw new SpdyProtocolError('truncated header block');
    const length = block.readUInt32BE(offset);
    offset += 4;
    if (offset + length > block.length) throw new SpdyProtocolError('truncated header block');
    const text = block.toString('utf8', offset, offset + length);
    offset += length;
    return text;
  };
  if (block.length < 4) throw new SpdyProtocolError('truncated header block');
  const count = block.readUInt32BE(0);
  offset = 4;
  for (let i = 0; i < count; i++) {
    const name = read().toLowerCase();
    headers[name] = read().split('\0').join(',');
  }
  return headers;
}
