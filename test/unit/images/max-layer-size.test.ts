// --max-layer-size: a Kubernetes quantity, parsed once into RuntimeConfig.maxLayerBytes.
import { describe, expect, it } from 'vitest';
import { parseMaxLayerSize } from '../../../cli/runtime-options.js';

describe('--max-layer-size', () => {
  it('defaults to 32 GiB', () => {
    expect(parseMaxLayerSize(undefined)).toBe(32 * 1024 ** 3);
  });

  it.each([
    ['500Mi', 500 * 1024 ** 2],
    ['1G', 1e9],
    ['67108864', 64 * 1024 ** 2],
  ])('reads %s as %d bytes', (text, bytes) => {
    expect(parseMaxLayerSize(text)).toBe(bytes);
  });

  it.each(['0', '-1Gi', 'lots', '1.5'])('refuses %s', (text) => {
    expect(() => parseMaxLayerSize(text)).toThrow(/--max-layer-size .*: expected a positive size in bytes/);
  });
});
