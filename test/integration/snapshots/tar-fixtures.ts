// Builds tar archives in memory with tar-stream's pack, so each hostile layer is written out in
// the test that uses it.
import { pack, type Pack } from 'tar-stream';

export type TarHeader = Parameters<Pack['entry']>[0];

export interface TarEntry extends TarHeader {
  content?: string | Buffer;
}

export async function buildTar(entries: TarEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of archive as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const { content, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      archive.entry({ mtime: new Date(1_700_000_000_000), ...header }, content ?? '', (error) => (error ? reject(error) : resolve()));
    });
  }
  archive.finalize();
  await collected;
  return Buffer.concat(chunks);
}
