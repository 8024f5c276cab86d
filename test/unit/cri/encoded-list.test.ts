import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCri } from '../../../api/cri/load.js';
import { silentLogger } from '../../../common/logger.js';
import { CriClient } from '../../../cri/client/cri-client.js';
import { serveCri } from '../../../cri/server/server.js';
import type { ListPodSandboxResponse } from '../../../api/cri/messages.js';
import { encodedList, preEncodedBytes } from '../../../cri/server/encoded-list.js';

const method = loadCri().runtime.ListPodSandbox;
if (!method) throw new Error('ListPodSandbox missing from the CRI');
const serialize = method.responseSerialize as (response: ListPodSandboxResponse) => Buffer;
const deserialize = method.responseDeserialize as (bytes: Buffer) => ListPodSandboxResponse;

interface FakeRecord {
  id: string;
  labels: Record<string, string>;
}
const toItem = (record: FakeRecord) => ({
  id: record.id,
  metadata: { name: `pod-${record.id}`, uid: `uid-${record.id}`, namespace: 'default', attempt: 1 },
  state: 'SANDBOX_READY' as const,
  createdAt: '1733600000000000000',
  labels: record.labels,
  annotations: { 'kubernetes.io/config.source': 'api' },
  runtimeHandler: '',
});

describe('list answers joined from per-record pieces', () => {
  it('are the bytes the serializer writes for the whole list, and decode to the same items', () => {
    const records = ['a', 'b', 'c'].map((id) => ({ id, labels: { app: id, tier: 'web' } }));
    const answer = encodedList(records, 'items', toItem, serialize, new WeakMap());
    const bytes = preEncodedBytes(answer);
    expect(bytes).toEqual(serialize({ items: records.map(toItem) }));
    expect((deserialize(bytes ?? Buffer.alloc(0)).items ?? []).map((item) => [item.id, item.labels])).toEqual(records.map((r) => [r.id, r.labels]));
    expect(answer.items.map((item) => item.id)).toEqual(['a', 'b', 'c']);
  });

  it('encode an empty list as no bytes, as protobuf does', () => {
    expect(preEncodedBytes(encodedList([], 'items', toItem, serialize, new WeakMap()))).toEqual(serialize({ items: [] }));
  });

  it('follow a record that changed (a new object) and keep the piece of one that did not', () => {
    const pieces = new WeakMap<FakeRecord, Buffer>();
    const kept = { id: 'kept', labels: { v: '1' } };
    const before = { id: 'changing', labels: { v: '1' } };
    encodedList([kept, before], 'items', toItem, serialize, pieces);
    const keptPiece = pieces.get(kept);
    const after = { ...before, labels: { v: '2' } };
    const answer = encodedList([kept, after], 'items', toItem, serialize, pieces);
    expect(pieces.get(kept)).toBe(keptPiece);
    expect((deserialize(preEncodedBytes(answer) ?? Buffer.alloc(0)).items ?? []).map((item) => item.labels)).toEqual([{ v: '1' }, { v: '2' }]);
  });

  it('reach a CRI client over a real gRPC connection as the items', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-encoded-list-'));
    const records = ['x', 'y'].map((id) => ({ id, labels: { app: id } }));
    const pieces = new WeakMap<FakeRecord, Buffer>();
    const server = await serveCri({
      socketPath: join(dir, 'cri.sock'),
      handlers: { runtime: { ListPodSandbox: async () => encodedList(records, 'items', toItem, serialize, pieces) }, image: {} },
      logger: silentLogger(),
    });
    const client = new CriClient({ endpoint: server.socketPath });
    try {
      const answer = await client.listPodSandbox();
      expect(answer.items.map((item) => [item.id, item.state, item.labels])).toEqual([
        ['x', 'SANDBOX_READY', { app: 'x' }],
        ['y', 'SANDBOX_READY', { app: 'y' }],
      ]);
    } finally {
      client.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('say nothing is pre-encoded for an ordinary answer', () => {
    expect(preEncodedBytes({ items: [] })).toBeUndefined();
    expect(preEncodedBytes(undefined)).toBeUndefined();
  });
});
