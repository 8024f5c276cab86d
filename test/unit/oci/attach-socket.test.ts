import { describe, expect, it } from 'vitest';
import { demuxPacket } from '../../../runtime/oci/attach-socket.js';

describe("conmon's attach packets", () => {
  it('names the stream by the first byte and keeps the rest as data', () => {
    expect(demuxPacket(Buffer.from('\x02hello'))).toEqual({ stream: 'stdout', data: Buffer.from('hello') });
    expect(demuxPacket(Buffer.from('\x03oops\n'))).toEqual({ stream: 'stderr', data: Buffer.from('oops\n') });
    expect(demuxPacket(Buffer.from('\x02'))).toEqual({ stream: 'stdout', data: Buffer.alloc(0) });
  });

  it('drops what is not output (stdin echoes, unknown pipes, empty packets)', () => {
    expect(demuxPacket(Buffer.from('\x01input'))).toBeUndefined();
    expect(demuxPacket(Buffer.from('\x09x'))).toBeUndefined();
    expect(demuxPacket(Buffer.alloc(0))).toBeUndefined();
  });
});
