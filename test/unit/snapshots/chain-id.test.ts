import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chainId, chainIds } from '../../../runtime/snapshots/chain-id.js';

const d1 = `sha256:${'a'.repeat(64)}`;
const d2 = `sha256:${'b'.repeat(64)}`;
const d3 = `sha256:${'c'.repeat(64)}`;

function sha(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

describe('chainId', () => {
  it('is the diff_id itself for a single layer', () => {
    expect(chainId([d1])).toBe(d1);
  });

  it('hashes the chain below and the next diff_id joined by one space', () => {
    expect(chainId([d1, d2])).toBe(sha(`${d1} ${d2}`));
    expect(chainId([d1, d2, d3])).toBe(sha(`${sha(`${d1} ${d2}`)} ${d3}`));
  });

  it('lists the chain id of every prefix bottom first', () => {
    expect(chainIds([d1, d2, d3])).toEqual([d1, chainId([d1, d2]), chainId([d1, d2, d3])]);
  });

  it('refuses an empty layer list and malformed diff_ids', () => {
    expect(() => chainId([])).toThrow(/at least one layer/);
    expect(() => chainIds([d1, 'sha256:xyz'])).toThrow(/diff_id of layer 1/);
  });
});
