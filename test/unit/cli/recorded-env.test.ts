import { describe, expect, it } from 'vitest';
import { loadCri } from '../../../api/cri/load.js';
import { envBytes } from '../../../cli/containers/lifecycle-commands.js';

// What CreateContainer carries for an env value, through the real CRI serializer.
const sent = (value: unknown): string => {
  const { runtime } = loadCri();
  const method = runtime['CreateContainer'];
  if (!method) throw new Error('no CreateContainer in the CRI definition');
  const request = method.requestDeserialize(method.requestSerialize({ podSandboxId: 'p', config: { envs: [{ key: 'A', value }] } })) as { config: { envs: { value: Buffer }[] } };
  return String(request.config.envs[0]?.value);
};

describe("a recorded config's env values, sent again by start and restart", () => {
  const revived: unknown = JSON.parse(JSON.stringify({ value: Buffer.from('kept') })).value;

  it('are lost when sent as JSON gave them back', () => {
    expect(sent(revived)).toBe('');
  });

  it.each([
    ['a JSON-revived Buffer', revived],
    ['a Buffer', Buffer.from('kept')],
    ['text', 'kept'],
  ])('keep their value from %s', (_, value) => {
    expect(sent(envBytes(value))).toBe('kept');
  });
});
