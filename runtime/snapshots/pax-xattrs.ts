// Extended attributes of tar entries as the bytes the layer holds. tar-stream decodes every PAX
// record as UTF-8 text, so a binary value (security.capability is a vfs_cap_data struct: bytes
// >= 0x80 are the rule) comes out with U+FFFD where its bytes were, and setting that on the file
// would grant other capabilities than the layer's, or none the kernel accepts.
//
// The tap is a pass-through stream in front of the extractor that walks the same tar headers
// (only their framing: type, size, PAX records) and keeps each entry's SCHILY.xattr.* records as
// bytes, keyed by the stream offset just past the entry's header: the `byteOffset` tar-stream
// puts on the header it emits. The two readers are not trusted to agree: a value is used only
// when the entry's offset has one and its UTF-8 decoding is what tar-stream read; anything else
// refuses the layer.
import { Transform, type TransformCallback } from 'node:stream';
import { InvalidArgumentError } from '../../common/errors.js';

const blockSize = 512;
/** tar-stream's own limit on a PAX or GNU long-name block. */
const maxLongHeaderBytes = 4 * 1024 * 1024;
const xattrPrefix = 'SCHILY.xattr.';

const typePaxLocal = 'x'.charCodeAt(0);
const typePaxGlobal = 'g'.charCodeAt(0);
const typeGnuLongLink = 'K'.charCodeAt(0);
const typeGnuLongPath = 'L'.charCodeAt(0);
const typeGnuLongPathOld = 'N'.charCodeAt(0);
const typeDirectory = '5'.charCodeAt(0);

type Records = Map<string, Buffer>;

/** What the extractor hands over for an entry, as far as xattrs go. */
export interface PaxHeaderView {
  name: string;
  byteOffset?: number;
  pax?: unknown;
}

/** Parses PAX extended-header data ("<len> <key>=<value>\n" records) the way tar-stream splits it, values as bytes. */
export function parsePaxRecords(data: Buffer): Records {
  const records: Records = new Map();
  let rest = data;
  while (rest.length > 0) {
    const space = rest.indexOf(0x20);
    const length = Number.parseInt(rest.subarray(0, space === -1 ? rest.length : space).toString('utf8'), 10);
    if (!length) break;
    const record = rest.subarray(space + 1, length - 1);
    const equals = record.indexOf(0x3d);
    if (equals === -1) break;
    records.set(record.subarray(0, equals).toString('utf8'), Buffer.from(record.subarray(equals + 1)));
    rest = rest.subarray(length);
  }
  return records;
}

/** A numeric header field: octal text (leading spaces and NULs allowed) or base-256 (high bit set). */
function numericField(block: Buffer, offset: number, length: number): number {
  const field = block.subarray(offset, offset + length);
  const first = field[0] ?? 0;
  if (first & 0x80) {
    if (first !== 0x80) return Number.NaN; // negative sizes are not sizes
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] ?? 0);
    return value;
  }
  let start = 0;
  while (start < field.length && field[start] === 0x20) start++;
  let end = field.indexOf(0x20, start);
  if (end === -1) end = field.length;
  while (start < end && field[start] === 0) start++;
  if (start === end) return 0;
  return Number.parseInt(field.subarray(start, end).toString('utf8'), 8);
}

function isEmptyBlock(block: Buffer): boolean {
  // tar-stream's test: the checksum of a block whose other bytes are all zero (field read as spaces)
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += block[i] ?? 0;
  for (let i = 156; i < blockSize; i++) sum += block[i] ?? 0;
  return sum === 8 * 0x20;
}

/** Whether tar-stream takes the entry for a directory: type 5, or a plain file whose name ends in "/" (old tars). */
function isDirectoryEntry(block: Buffer): boolean {
  const type = block[156] ?? 0;
  if (type === typeDirectory) return true;
  if (type !== 0 && type !== 0x30) return false;
  const nameEnd = block.indexOf(0, 0);
  const name = block.subarray(0, nameEnd === -1 || nameEnd > 100 ? 100 : nameEnd);
  if (name.length > 0) return name[name.length - 1] === 0x2f;
  // an empty name with a ustar prefix reads as "<prefix>/"
  return block.subarray(257, 263).toString('latin1') === 'ustar\0' && (block[345] ?? 0) !== 0;
}

function padding(size: number): number {
  const rest = size % blockSize;
  return rest === 0 ? 0 : blockSize - rest;
}

export class PaxXattrTap extends Transform {
  private offset = 0;
  private readonly block = Buffer.alloc(blockSize);
  private blockFilled = 0;
  /** Bytes of entry data (and padding) still to pass over. */
  private skip = 0;
  /** The PAX or long-name data being collected, and what it is. */
  private longData: { kind: 'local' | 'global' | 'ignored'; chunks: Buffer[]; missing: number; padding: number } | undefined;
  private local: Records | undefined;
  private global: Records | undefined;
  /** The framing stopped making sense (the extractor fails on such a tar): nothing more is recorded. */
  private lost = false;
  private readonly byEntry = new Map<number, Records>();

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.lost) this.walk(chunk);
    this.offset += chunk.length;
    callback(null, chunk);
  }

  /**
   * The entry's xattrs, name → value bytes, in the order tar-stream lists them; refuses an entry
   * whose raw records are missing or say something else than the extractor read.
   */
  xattrsOf(header: PaxHeaderView): Map<string, Buffer> {
    const decoded = Object.entries((header.pax ?? {}) as Record<string, string>).filter(([key]) => key.startsWith(xattrPrefix));
    const raw = header.byteOffset === undefined ? undefined : this.claim(header.byteOffset);
    const xattrs = new Map<string, Buffer>();
    for (const [key, text] of decoded) {
      const bytes = raw?.get(key);
      if (bytes === undefined || bytes.toString('utf8') !== text) {
        throw new InvalidArgumentError(
          `tar entry ${JSON.stringify(header.name)}: the bytes of its PAX record ${JSON.stringify(key)} cannot be recovered (the layer's headers are inconsistent): refusing it`,
        );
      }
      xattrs.set(key.slice(xattrPrefix.length), bytes);
    }
    return xattrs;
  }

  /** The records kept for the entry at `byteOffset`; earlier ones nobody asked for are dropped. */
  private claim(byteOffset: number): Records | undefined {
    const found = this.byEntry.get(byteOffset);
    for (const key of this.byEntry.keys()) {
      if (key > byteOffset) break;
      this.byEntry.delete(key);
    }
    return found;
  }

  private walk(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.lost) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
      } else if (this.longData) {
        at = this.collect(chunk, at);
      } else {
        const n = Math.min(blockSize - this.blockFilled, chunk.length - at);
        chunk.copy(this.block, this.blockFilled, at, at + n);
        this.blockFilled += n;
        at += n;
        if (this.blockFilled === blockSize) {
          this.blockFilled = 0;
          this.header(this.offset + at);
        }
      }
    }
  }

  private collect(chunk: Buffer, at: number): number {
    const long = this.longData as NonNullable<PaxXattrTap['longData']>;
    const n = Math.min(long.missing, chunk.length - at);
    if (long.kind !== 'ignored') long.chunks.push(Buffer.from(chunk.subarray(at, at + n)));
    long.missing -= n;
    if (long.missing === 0) {
      if (long.kind !== 'ignored') {
        const records = parsePaxRecords(Buffer.concat(long.chunks));
        if (long.kind === 'global') this.global = records;
        // tar-stream lays a local header over the global one
        else this.local = new Map([...(this.global ?? []), ...records]);
      }
      this.skip = long.padding;
      this.longData = undefined;
    }
    return at + n;
  }

  /** One complete header block; `end` is the stream offset just past it. */
  private header(end: number): void {
    const block = this.block;
    if (isEmptyBlock(block)) return;
    const type = block[156] ?? 0;
    let size = numericField(block, 124, 12);
    if (type === typePaxLocal || type === typePaxGlobal || type === typeGnuLongLink || type === typeGnuLongPath || type === typeGnuLongPathOld) {
      if (!(size >= 0) || size > maxLongHeaderBytes) {
        this.lost = true;
        return;
      }
      const kind = type === typePaxLocal ? 'local' : type === typePaxGlobal ? 'global' : 'ignored';
      if (size === 0) {
        if (kind === 'global') this.global = new Map();
        else if (kind === 'local') this.local = new Map(this.global ?? []);
        return;
      }
      this.longData = { kind, chunks: [], missing: size, padding: padding(size) };
      return;
    }
    // A real entry: tar-stream applies the pending local PAX records (global ones only through it).
    if (this.local) {
      const sizeRecord = this.local.get('size')?.toString('utf8');
      if (sizeRecord) size = Number.parseInt(sizeRecord, 10);
      const xattrs: Records = new Map([...this.local].filter(([key]) => key.startsWith(xattrPrefix)));
      if (xattrs.size > 0) this.byEntry.set(end, xattrs);
      this.local = undefined;
    }
    if (!(size >= 0)) {
      this.lost = true;
      return;
    }
    // tar-stream reads no data for a directory, whatever its size says
    if (size > 0 && !isDirectoryEntry(block)) this.skip = size + padding(size);
  }
}
