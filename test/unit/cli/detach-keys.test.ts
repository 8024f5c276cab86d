import { describe, expect, it } from 'vitest';
import { DetachKeyFilter } from '../../../cli/containers/detach-keys.js';

async function through(chunks: number[][]): Promise<{ passed: number[]; detached: boolean }> {
  let detached = false;
  const filter = new DetachKeyFilter(() => {
    detached = true;
  });
  const passed: number[] = [];
  filter.on('data', (chunk: Buffer) => passed.push(...chunk));
  for (const chunk of chunks) filter.write(Buffer.from(chunk));
  filter.end();
  await new Promise((resolve) => filter.on('end', resolve));
  return { passed, detached };
}

describe('DetachKeyFilter', () => {
  it('passes keys through until Ctrl-P Ctrl-Q, which it keeps and reports', async () => {
    expect(await through([[0x61, 0x62, 0x10, 0x11, 0x63]])).toEqual({ passed: [0x61, 0x62], detached: true });
  });

  it('sees the sequence split across reads', async () => {
    expect(await through([[0x61, 0x10], [0x11], [0x62]])).toEqual({ passed: [0x61], detached: true });
  });

  it('passes a Ctrl-P that another key follows, with that key', async () => {
    expect(await through([[0x10, 0x61], [0x10], [0x10, 0x11]])).toEqual({ passed: [0x10, 0x61, 0x10], detached: true });
    expect(await through([[0x03, 0x10, 0x71]])).toEqual({ passed: [0x03, 0x10, 0x71], detached: false });
  });
});
