// The smallest ELF shared object that glibc's ldconfig lists and its dynamic loader loads: one
// writable PT_LOAD covering the file (the loader relocates the dynamic section in place) and a
// PT_DYNAMIC naming a SONAME, with an empty symbol table and hash table. ldconfig ignores empty
// or non-ELF files, so synthetic driver libraries must be real (if useless) ELF objects for a
// real ld.so.cache to list them, and loadable for a test to show `libcuda.so.1` resolving.

export type ElfMachine = 'x86_64' | 'aarch64';

const machineNumber: Record<ElfMachine, number> = { x86_64: 62, aarch64: 183 };

const headerSize = 64;
const programHeaderSize = 56;
const dynamicEntrySize = 16;
const symbolSize = 24;
const hashTableSize = 16;
const DT_NULL = 0n;
const DT_HASH = 4n;
const DT_STRTAB = 5n;
const DT_SYMTAB = 6n;
const DT_STRSZ = 10n;
const DT_SYMENT = 11n;
const DT_SONAME = 14n;

/** The host's machine, for objects that the host's ldconfig files under its own architecture. */
export function hostElfMachine(): ElfMachine {
  return process.arch === 'arm64' ? 'aarch64' : 'x86_64';
}

export function elfSharedObject(soname: string, machine: ElfMachine = hostElfMachine()): Buffer {
  const strings = Buffer.from(`\0${soname}\0`, 'latin1');
  const dynamicOffset = headerSize + 2 * programHeaderSize;
  const dynamicSize = 7 * dynamicEntrySize;
  // Symbol table (the null symbol alone), then a one-bucket hash table: both 8-byte aligned.
  const symbolsOffset = dynamicOffset + dynamicSize;
  const hashOffset = symbolsOffset + symbolSize;
  const stringsOffset = hashOffset + hashTableSize;
  const total = stringsOffset + strings.length;
  const file = Buffer.alloc(total);

  file.set([0x7f, 0x45, 0x4c, 0x46, 2 /* 64-bit */, 1 /* little endian */, 1 /* version */], 0);
  file.writeUInt16LE(3, 16); // ET_DYN
  file.writeUInt16LE(machineNumber[machine], 18);
  file.writeUInt32LE(1, 20);
  file.writeBigUInt64LE(0n, 24); // entry
  file.writeBigUInt64LE(BigInt(headerSize), 32); // program headers
  file.writeBigUInt64LE(0n, 40); // no section headers
  file.writeUInt32LE(0, 48);
  file.writeUInt16LE(headerSize, 52);
  file.writeUInt16LE(programHeaderSize, 54);
  file.writeUInt16LE(2, 56);
  file.writeUInt16LE(64, 58);
  file.writeUInt16LE(0, 60);
  file.writeUInt16LE(0, 62);

  const segment = (at: number, type: number, flags: number, offset: number, size: number, align: number): void => {
    file.writeUInt32LE(type, at);
    file.writeUInt32LE(flags, at + 4);
    file.writeBigUInt64LE(BigInt(offset), at + 8);
    file.writeBigUInt64LE(BigInt(offset), at + 16); // vaddr = offset: the object loads at 0
    file.writeBigUInt64LE(BigInt(offset), at + 24);
    file.writeBigUInt64LE(BigInt(size), at + 32);
    file.writeBigUInt64LE(BigInt(size), at + 40);
    file.writeBigUInt64LE(BigInt(align), at + 48);
  };
  segment(headerSize, 1 /* PT_LOAD */, 6 /* rw */, 0, total, 0x1000);
  segment(headerSize + programHeaderSize, 2 /* PT_DYNAMIC */, 6, dynamicOffset, dynamicSize, 8);

  const entries: [bigint, bigint][] = [
    [DT_SONAME, 1n],
    [DT_STRTAB, BigInt(stringsOffset)],
    [DT_STRSZ, BigInt(strings.length)],
    [DT_SYMTAB, BigInt(symbolsOffset)],
    [DT_SYMENT, BigInt(symbolSize)],
    [DT_HASH, BigInt(hashOffset)],
    [DT_NULL, 0n],
  ];
  entries.forEach(([tag, value], i) => {
    file.writeBigInt64LE(tag, dynamicOffset + i * dynamicEntrySize);
    file.writeBigUInt64LE(value, dynamicOffset + i * dynamicEntrySize + 8);
  });
  file.writeUInt32LE(1, hashOffset); // nbucket; the bucket and the chain stay 0 (no symbol)
  file.writeUInt32LE(1, hashOffset + 4); // nchain
  file.set(strings, stringsOffset);
  return file;
}
