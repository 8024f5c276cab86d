import { describe, expect, it } from 'vitest';
import { listAsStream, pages } from '../../../cri/server/list-streams.js';

describe('streaming list RPCs', () => {
  it('pages a list, and answers an empty one with one empty page', () => {
    expect(pages([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(pages([], 2)).toEqual([[]]);
    expect(pages(Array.from({ length: 250 }, (_, i) => i)).map((p) => p.length)).toEqual([100, 100, 50]);
  });

  it('sends the list answer in pages, and stops when the client goes away', async () => {
    const list = async (request: { n: number }): Promise<{ items: number[] }> => ({ items: Array.from({ length: request.n }, (_, i) => i) });
    const stream = listAsStream(
      list,
      (r) => r.items,
      (items) => ({ items }),
    );
    const sent: number[][] = [];
    await stream({ n: 120 }, (m) => sent.push(m.items) > 0, new AbortController().signal);
    expect(sent.map((p) => p.length)).toEqual([100, 20]);
    const gone = new AbortController();
    gone.abort();
    const none: unknown[] = [];
    await stream({ n: 120 }, (m) => none.push(m) > 0, gone.signal);
    expect(none).toEqual([]);
  });
});
