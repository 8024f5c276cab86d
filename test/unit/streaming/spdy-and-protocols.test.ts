// The pure parts of the streaming server: SPDY framing and header blocks, the header dictionary,
// protocol negotiation, the channels a request needs, exit statuses, and single-use tokens.
import { constants, deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { expectedStreams, exitStatusMessage } from '../../../cri/streaming/remote-command.js';
import { spdyHeaderDictionary } from '../../../cri/streaming/spdy/dictionary.js';
import { FrameType, controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, parseFrames, readSynStream } from '../../../cri/streaming/spdy/frames.js';
import { HeaderCodec } from '../../../cri/streaming/spdy/header-codec.js';
import { negotiateProtocol } from '../../../cri/streaming/stream-server.js';
import { TokenCache } from '../../../cri/streaming/tokens.js';

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

describe('SPDY/3.1 framing', () => {
  it('has the dictionary the spec defines (1423 bytes, dictionary id 0xe3c6a7c2)', () => {
    expect(spdyHeaderDictionary.length).toBe(1423);
    expect(adler32(spdyHeaderDictionary)).toBe(0xe3c6a7c2);
  });

  it('splits data and control frames and keeps an incomplete one for later', () => {
    const bytes = Buffer.concat([dataFrame(1, Buffer.from('abc'), true), controlFrame(FrameType.ping, 0, Buffer.from([0, 0, 0, 7]))]);
    const partial = parseFrames(bytes.subarray(0, bytes.length - 2));
    expect(partial.frames).toEqual([{ kind: 'data', streamId: 1, flags: 1, data: Buffer.from('abc') }]);
    expect(partial.rest.length).toBe(10);
    const whole = parseFrames(bytes);
    expect(whole.frames[1]).toMatchObject({ kind: 'control', type: FrameType.ping });
    expect(whole.rest.length).toBe(0);
  });

  it('refuses a control frame of another SPDY version', () => {
    const frame = controlFrame(FrameType.ping, 0, Buffer.alloc(4));
    frame.writeUInt16BE(0x8002, 0);
    expect(() => parseFrames(frame)).toThrow(/version 2/);
  });

  it('round-trips a header block and joins NUL-separated values', () => {
    const block = encodeHeaderBlock({ StreamType: 'stdout', port: '80' });
    expect(decodeHeaderBlock(block)).toEqual({ streamtype: 'stdout', port: '80' });
    const multi = Buffer.concat([encodeHeaderBlock({ a: 'x' }).subarray(0, 4 + 4 + 1), Buffer.from([0, 0, 0, 3]), Buffer.from('1\u00002')]);
    expect(decodeHeaderBlock(multi)).toEqual({ a: '1,2' });
  });

  it('compresses header blocks the way a zlib peer with the dictionary reads them', async () => {
    const codec = new HeaderCodec();
    const compressed = await codec.compress(encodeHeaderBlock({ streamtype: 'error' }));
    expect(decodeHeaderBlock(inflateSync(compressed, { dictionary: spdyHeaderDictionary, finishFlush: constants.Z_SYNC_FLUSH }))).toEqual({ streamtype: 'error' });
    const peer = deflateSync(encodeHeaderBlock({ streamtype: 'stdin' }), { dictionary: spdyHeaderDictionary });
    expect(decodeHeaderBlock(await codec.decompress(peer))).toEqual({ streamtype: 'stdin' });
    codec.close();
  });

  it('reads a SYN_STREAM', () => {
    const payload = Buffer.concat([Buffer.from([0, 0, 0, 3, 0, 0, 0, 0, 0, 0]), Buffer.from('hdr')]);
    expect(readSynStream({ flags: 1, payload })).toEqual({ streamId: 3, associatedId: 0, fin: true, compressedHeaders: Buffer.from('hdr') });
  });
});

describe('remote-command and port-forward protocols', () => {
  it('picks the first offered protocol the server speaks, in the client order', () => {
    const supported = ['v4.channel.k8s.io', 'v3.channel.k8s.io'];
    expect(negotiateProtocol('v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io', supported)).toBe('v4.channel.k8s.io');
    expect(negotiateProtocol(['v3.channel.k8s.io'], supported)).toBe('v3.channel.k8s.io');
    expect(negotiateProtocol('v5.channel.k8s.io', supported)).toBeUndefined();
  });

  it('expects the channels the request asked for', () => {
    const base = { containerId: 'c', cmd: ['sh'], stdin: true, stdout: true, stderr: true, tty: false };
    expect([...expectedStreams(base, 'v4.channel.k8s.io')].sort()).toEqual(['error', 'stderr', 'stdin', 'stdout']);
    expect([...expectedStreams({ ...base, tty: true }, 'v4.channel.k8s.io')].sort()).toEqual(['error', 'resize', 'stdin', 'stdout']);
    expect([...expectedStreams({ ...base, tty: true }, 'v2.channel.k8s.io')].sort()).toEqual(['error', 'stdin', 'stdout']);
  });

  it('reports exit codes as a v4 Status with the ExitCode cause', () => {
    expect(JSON.parse(exitStatusMessage(0, 'v4.channel.k8s.io'))).toEqual({ metadata: {}, status: 'Success' });
    const failure = JSON.parse(exitStatusMessage(7, 'v4.channel.k8s.io')) as { reason: string; details: { causes: { reason: string; message: string }[] } };
    expect(failure.reason).toBe('NonZeroExitCode');
    expect(failure.details.causes).toEqual([{ reason: 'ExitCode', message: '7' }]);
    expect(exitStatusMessage(0, 'v3.channel.k8s.io')).toBe('');
  });
});

describe('streaming tokens', () => {
  it('redeems once, expires, and drops the oldest beyond the cap', () => {
    let now = 0;
    const tokens = new TokenCache<string>(1000, 2, () => now);
    const first = tokens.issue('a');
    expect(tokens.redeem(first)).toBe('a');
    expect(tokens.redeem(first)).toBeUndefined();
    const old = tokens.issue('old');
    tokens.issue('b');
    tokens.issue('c');
    expect(tokens.redeem(old)).toBeUndefined();
    const late = tokens.issue('late');
    now = 2000;
    expect(tokens.redeem(late)).toBeUndefined();
  });
});
