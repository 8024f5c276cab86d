// A reader for glibc's ld.so.cache (the "glibc-ld.so.cache1.1" format that ldconfig has written
// since glibc 2.32, possibly behind the legacy "ld.so-1.7.0" table that older glibc also wrote).
// The driver libraries are found the way the host's dynamic linker finds them, so a driver
// installed in a non-standard directory listed in ld.so.conf is still found. Pure: bytes in,
// entries out; the caller reads the file.
import { InvalidArgumentError } from '../../common/errors.js';

/** Architecture a cache entry was filed under (glibc's FLAG_REQUIRED_MASK bits). */
export type LdCacheArch = 'i386' | 'x86_64' | 'x32' | 'aarch64' | 'armhf' | 'other';

export interface LdCacheEntry {
  /** The name the dynamic linker looks up: usually the SONAME, e.g. "libcuda.so.1". */
  soname: string;
  /** Absolute path in the cache's root, e.g. "/usr/lib/x86_64-linux-gnu/libcuda.so.1". */
  path: string;
  arch: LdCacheArch;
}

const legacyMagic = 'ld.so-1.7.0';
const magic = 'glibc-ld.so.cache1.1';
const legacyHeaderSize = 16;
const legacyEntrySize = 12;
const headerSize = 48;
const entrySize = 24;
const endianLittle = 2;
const endianBig = 3;
const elfLibc6 = 0x0003;
const typeMask = 0x00ff;
const requiredMask = 0xff00;

const archByFlag: ReadonlyMap<number, LdCacheArch> = new Map([
  [0x0000, 'i386'],
  [0x0300, 'x86_64'],
  [0x0800, 'x32'],
  [0x0900, 'armhf'],
  [0x0a00, 'aarch64'],
]);

function invalid(reason: string): InvalidArgumentError {
  return new InvalidArgumentError(`ld.so.cache is not a glibc-ld.so.cache1.1 file: ${reason}; regenerate it with ldconfig`);
}

/** Where the new-format header starts: 0, or after the legacy table (8-byte aligned). */
function newFormatStart(cache: Uint8Array, view: DataView): number {
  const head = Buffer.from(cache.buffer, cache.byteOffset, cache.byteLength);
  if (head.toString('latin1', 0, magic.length) === magic) return 0;
  if (head.toString('latin1', 0, legacyMagic.length) !== legacyMagic) throw invalid('unknown magic');
  if (cache.byteLength < legacyHeaderSize) throw invalid('truncated legacy header');
  const legacyCount = view.getUint32(12, true);
  const end = legacyHeaderSize + legacyCount * legacyEntrySize;
  const start = Math.ceil(end / 8) * 8;
  if (head.toString('latin1', start, start + magic.length) !== magic) {
    throw invalid('legacy-only cache (glibc older than 2.32)');
  }
  return start;
}

function readString(cache: Uint8Array, offset: number): string {
  if (offset >= cache.byteLength) throw invalid(`string offset ${offset} past the end`);
  const end = cache.indexOf(0, offset);
  if (end < 0) throw invalid(`unterminated string at ${offset}`);
  return Buffer.from(cache.buffer, cache.byteOffset + offset, end - offset).toString('utf8');
}

/**
 * The ELF libc6 entries of a cache, in the cache's order (glibc sorts by name, most specific
 * first). Entries for glibc-hwcaps subdirectories are kept: their paths say where they live.
 */
export function parseLdCache(cache: Uint8Array): LdCacheEntry[] {
  const view = new DataView(cache.buffer, cache.byteOffset, cache.byteLength);
  const start = newFormatStart(cache, view);
  if (cache.byteLength < start + headerSize) throw invalid('truncated header');
  const endian = view.getUint8(start + 28);
  if (endian !== endianLittle && endian !== endianBig && endian !== 0) throw invalid(`endianness flag ${endian}`);
  const little = endian !== endianBig;
  const count = view.getUint32(start + 20, little);
  if (start + headerSize + count * entrySize > cache.byteLength) throw invalid(`${count} entries do not fit`);

  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = start + headerSize + i * entrySize;
    const flags = view.getInt32(at, little);
    if ((flags & typeMask) !== elfLibc6) continue;
    const soname = readString(cache, start + view.getUint32(at + 4, little));
    const path = readString(cache, start + view.getUint32(at + 8, little));
    entries.push({ soname, path, arch: archByFlag.get(flags & requiredMask) ?? 'other' });
  }
  return entries;
}

/** The cache architecture of 64-bit libraries on this host. */
export function hostLdCacheArch(arch: string = process.arch): LdCacheArch {
  if (arch === 'x64') return 'x86_64';
  if (arch === 'arm64') return 'aarch64';
  return 'other';
}
