import { describe, expect, it } from 'vitest';
import { acceptKey, decodeFrame, encodeFrame, opcodes, WebSocketProtocolError } from '../../../common/websocket/frames.js';
import { exitCodeFromStatus, RemoteCommandError, resizeMessage as clientResizeMessage } from '../../../cri/client/remote-command-client.js';
import { exitStatusMessage, failureMessage, ResizeEvents } from '../../../cri/streaming/remote-command.js';
import { resizeMessage } from '../../../runtime/oci/conmon.js';

/** A client frame as RFC 6455 says clients send them: masked. */
function clientFrame(opcode: number, payload: Buffer, fin = true, mask = Buffer.from([1, 2, 3, 4])): Buffer {
  const header: number[] = [(fin ? 0x80 : 0) | opcode];
  if (payload.length < 126) header.push(0x80 | payload.length);
  else if (payload.length <= 0xffff) header.push(0x80 | 126, payload.length >> 8, payload.length & 0xff);
  else throw new Error('not needed here');
  const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] ?? 0)));
  return Buffer.concat([Buffer.from(header), mask, masked]);
}

describe('WebSocket frames', () => {
  it('answers the handshake key as RFC 6455 shows', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('decodes masked client frames, waiting for the whole frame', () => {
    const frame = clientFrame(opcodes.binary, Buffer.from([0, ...Buffer.from('stdin data')]));
    expect(decodeFrame(frame.subarray(0, 5), 1024)).toBeUndefined();
    const decoded = decodeFrame(Buffer.concat([frame, Buffer.from([0x81])]), 1024);
    expect(decoded?.used).toBe(frame.length);
    expect(decoded?.frame).toEqual({ fin: true, opcode: opcodes.binary, payload: Buffer.from([0, ...Buffer.from('stdin data')]) });
    const long = clientFrame(opcodes.binary, Buffer.alloc(300, 7));
    expect(decodeFrame(long, 1024)?.frame.payload).toEqual(Buffer.alloc(300, 7));
  });

  it('refuses what a server must not accept', () => {
    const unmasked = Buffer.from([0x82, 0x01, 0x00]);
    expect(() => decodeFrame(unmasked, 1024)).toThrow(/must be masked/);
    expect(() => decodeFrame(clientFrame(opcodes.binary, Buffer.alloc(300)), 100)).toThrow(WebSocketProtocolError);
    expect(() => decodeFrame(clientFrame(opcodes.ping, Buffer.alloc(1), false), 1024)).toThrow(/control frames/);
    const reserved = clientFrame(opcodes.binary, Buffer.alloc(1));
    reserved[0] = (reserved[0] ?? 0) | 0x40;
    expect(() => decodeFrame(reserved, 1024)).toThrow(/reserved bits/);
  });

  it('encodes unmasked server frames with the short, 16-bit and 64-bit lengths', () => {
    expect(encodeFrame(opcodes.binary, Buffer.from([1, 104, 105]))).toEqual(Buffer.from([0x82, 3, 1, 104, 105]));
    const medium = encodeFrame(opcodes.binary, Buffer.alloc(1000));
    expect([medium[1], medium.readUInt16BE(2), medium.length]).toEqual([126, 1000, 1004]);
    const large = encodeFrame(opcodes.binary, Buffer.alloc(70_000));
    expect([large[1], Number(large.readBigUInt64BE(2)), large.length]).toEqual([127, 70_000, 70_010]);
    expect(encodeFrame(opcodes.close, Buffer.from([0x03, 0xe8]))).toEqual(Buffer.from([0x88, 2, 0x03, 0xe8]));
  });

  it('encodes masked client frames that the server side decodes, and each side refuses the other kind', () => {
    const mask = Buffer.from([9, 8, 7, 6]);
    const payload = Buffer.from([1, ...Buffer.from('output')]);
    const sent = encodeFrame(opcodes.binary, payload, true, mask);
    expect(sent).toEqual(clientFrame(opcodes.binary, payload, true, mask));
    expect(payload).toEqual(Buffer.from([1, ...Buffer.from('output')]));
    expect(decodeFrame(sent, 1024, 'client')?.frame.payload).toEqual(payload);
    expect(() => decodeFrame(sent, 1024, 'server')).toThrow(/a server frame must not be masked/);

    const fromServer = encodeFrame(opcodes.binary, Buffer.alloc(300, 5));
    expect(decodeFrame(fromServer.subarray(0, 100), 1024, 'server')).toBeUndefined();
    expect(decodeFrame(fromServer, 1024, 'server')).toEqual({ frame: { fin: true, opcode: opcodes.binary, payload: Buffer.alloc(300, 5) }, used: 304 });
  });
});

describe('the remote-command client', () => {
  it('reads the exit code from the error channel status', () => {
    expect(exitCodeFromStatus(exitStatusMessage(0, 'v5.channel.k8s.io'))).toBe(0);
    expect(exitCodeFromStatus(exitStatusMessage(42, 'v4.channel.k8s.io'))).toBe(42);
  });

  it('turns any other failure, or no status at all, into an error with the reason', () => {
    expect(() => exitCodeFromStatus(failureMessage('executable file not found: nosuch', 'v5.channel.k8s.io'))).toThrow(new RemoteCommandError('executable file not found: nosuch'));
    expect(() => exitCodeFromStatus('')).toThrow(/ended before the server said how the command ended/);
    expect(() => exitCodeFromStatus('plain words')).toThrow(new RemoteCommandError('plain words'));
  });

  it('sends sizes on the resize channel as the server reads them', () => {
    const message = clientResizeMessage({ width: 123, height: 45 });
    expect(message[0]).toBe(4);
    expect(new ResizeEvents().push(message.subarray(1))).toEqual([{ width: 123, height: 45 }]);
  });
});

describe('terminal resize events', () => {
  it('reads back-to-back and split JSON sizes, dropping malformed ones', () => {
    const events = new ResizeEvents();
    expect(events.push(Buffer.from('{"Width":80,"Height":24}{"Width":100,'))).toEqual([{ width: 80, height: 24 }]);
    expect(events.push(Buffer.from('"Height":40}{bad}{"Width":"x","Height":1}'))).toEqual([{ width: 100, height: 40 }]);
  });

  it("writes conmon's ctl message: type 1, height, then width, clamped", () => {
    expect(resizeMessage(100, 40)).toBe('1 40 100\n');
    expect(resizeMessage(-5, 1e9)).toBe('1 65535 0\n');
  });
});
