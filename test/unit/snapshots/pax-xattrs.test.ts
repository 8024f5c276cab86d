// The PAX xattr tap against tars written byte by byte here (tar-stream's own pack can only write
// text records): binary values come back as their bytes, whatever the chunking of the stream,
// beside GNU long names, global headers, file bodies and directories; an entry whose raw records
// the tap did not see is refused.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../common/errors.js';
import { PaxXattrTap, parsePaxRecords } from '../../../runtime/snapshots/pax-xattrs.js';

function header(name: string, type: string, size: number): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, 'utf8');
  block.write('0000644\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block.write('14560000000\0', 136);
  block.write(type, 156);
  block.write('ustar\x0000', 257, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

function padded(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  // the length counts its own digits
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length += 1;
  return Buffer.concat([Buffer.from(String(length)), body]);
}

function paxBlock(type: 'x' | 'g', records: [string, Buffer][]): Buffer {
  const data = Buffer.concat(records.map(([key, value]) => paxRecord(key, value)));
  return Buffer.concat([header('PaxHeader', type, data.length), padded(data)]);
}

function file(name: string, content: string): Buffer {
  return Buffer.concat([header(name, '0', content.length), padded(Buffer.from(content))]);
}

const capV2 = Buffer.from('0100000280040000000000000000000000000000', 'hex');
const capV3 = Buffer.from('0100000300040000000000000000000000000000e8030000', 'hex');
const notUtf8 = Buffer.from([0xff, 0xfe, 0x80, 0x00, 0x41]);

const archive = Buffer.concat([
  paxBlock('g', [['SCHILY.xattr.user.global', notUtf8]]),
  header('dir/', '5', 0),
  paxBlock('x', [['SCHILY.xattr.security.capability', capV2]]),
  file('dir/server', 'x'.repeat(700)),
  file('dir/plain', 'no xattrs'),
  Buffer.concat([header('././@LongLink', 'L', 201), padded(Buffer.from(`${'long/'.repeat(40)}name\0`))]),
  paxBlock('x', [
    ['path', Buffer.from('dir/renamed')],
    ['SCHILY.xattr.security.capability', capV3],
    ['SCHILY.xattr.user.text', Buffer.from('héllo')],
  ]),
  file('dir/ignored-name', ''),
  Buffer.alloc(1024),
]);

async function xattrsByEntry(chunkSize: number): Promise<Record<string, Record<string, string>>> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < archive.length; at += chunkSize) chunks.push(archive.subarray(at, at + chunkSize));
  const tap = new PaxXattrTap();
  const entries = extract();
  const result: Record<string, Record<string, string>> = {};
  const done = pipeline(Readable.from(chunks), tap, entries);
  for await (const entry of entries) {
    result[entry.header.name] = Object.fromEntries([...tap.xattrsOf(entry.header)].map(([k, v]) => [k, v.toString('hex')]));
    entry.resume();
  }
  await done;
  return result;
}

describe('PaxXattrTap', () => {
  for (const chunkSize of [1, 7, 512, 100_000]) {
    it(`gives each entry its xattr bytes with ${chunkSize}-byte chunks`, async () => {
      expect(await xattrsByEntry(chunkSize)).toEqual({
        'dir/': {},
        // a global header reaches an entry only through a local one (tar-stream's rule)
        'dir/server': { 'user.global': notUtf8.toString('hex'), 'security.capability': capV2.toString('hex') },
        'dir/plain': {},
        'dir/renamed': {
          'user.global': notUtf8.toString('hex'),
          'security.capability': capV3.toString('hex'),
          'user.text': Buffer.from('héllo').toString('hex'),
        },
      });
    });
  }

  it('refuses an entry whose raw records it never saw', () => {
    const tap = new PaxXattrTap();
    expect(() => tap.xattrsOf({ name: 'bin/x', byteOffset: 512, pax: { 'SCHILY.xattr.security.capability': '\u0001' } })).toThrow(InvalidArgumentError);
  });
});

describe('parsePaxRecords', () => {
  it('keeps values as bytes and stops at a malformed record, as tar-stream does', () => {
    const records = parsePaxRecords(Buffer.concat([paxRecord('SCHILY.xattr.a', capV3), Buffer.from('garbage')]));
    expect([...records].map(([k, v]) => [k, v.toString('hex')])).toEqual([['SCHILY.xattr.a', capV3.toString('hex')]]);
  });
});
