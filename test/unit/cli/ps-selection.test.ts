import { describe, expect, it } from 'vitest';
import { commandCell, parsePsFilters, psFields, selectContainers, type PsCandidate } from '../../../cli/containers/ps-selection.js';

const at = (seconds: number) => `${BigInt(seconds) * 1_000_000_000n}`;
const candidates: PsCandidate[] = [
  { id: 'aaa111', name: 'web', image: 'docker.io/library/nginx:1.27', state: 'CONTAINER_RUNNING', labels: { tier: 'front' }, createdAt: at(100) },
  { id: 'bbb222', name: 'job', image: 'busybox:latest', state: 'CONTAINER_EXITED', labels: { tier: 'batch' }, createdAt: at(300) },
  { id: 'ccc333', name: 'web-2', image: 'docker.io/library/nginx:1.27', state: 'CONTAINER_CREATED', labels: {}, createdAt: at(200) },
];
const ids = (list: PsCandidate[]) => list.map((c) => c.id);
const none = { all: false, filters: new Map(), latest: false };

describe('docker ps selection', () => {
  it('shows running containers unless -a, newest first', () => {
    expect(ids(selectContainers(candidates, none))).toEqual(['aaa111']);
    expect(ids(selectContainers(candidates, { ...none, all: true }))).toEqual(['bbb222', 'ccc333', 'aaa111']);
  });

  it('looks at every state for a status filter, -n and -l', () => {
    expect(ids(selectContainers(candidates, { ...none, filters: parsePsFilters(['status=exited']) }))).toEqual(['bbb222']);
    expect(ids(selectContainers(candidates, { ...none, last: 2 }))).toEqual(['bbb222', 'ccc333']);
    expect(ids(selectContainers(candidates, { ...none, latest: true }))).toEqual(['bbb222']);
  });

  it('ORs values of one key and ANDs different keys', () => {
    const filters = parsePsFilters(['status=running', 'status=created', 'ancestor=nginx:1.27']);
    expect(ids(selectContainers(candidates, { ...none, filters }))).toEqual(['ccc333', 'aaa111']);
    expect(ids(selectContainers(candidates, { ...none, all: true, filters: parsePsFilters(['label=tier', 'name=jo']) }))).toEqual(['bbb222']);
    expect(ids(selectContainers(candidates, { ...none, all: true, filters: parsePsFilters(['label=tier=front', 'id=aaa']) }))).toEqual(['aaa111']);
  });

  it('refuses filters it does not know, and states the CRI does not have', () => {
    expect(() => parsePsFilters(['health=healthy'])).toThrow("invalid filter 'health=healthy'");
    expect(() => parsePsFilters(['status=paused'])).toThrow('the CRI has no paused');
    expect(() => parsePsFilters(['status'])).toThrow("invalid filter 'status'");
  });
});

describe('docker ps --format fields', () => {
  it("gives docker's names and shapes", () => {
    const fields = psFields(candidates[0] as PsCandidate, { status: 'Up 2 minutes', command: ['sh', '-c', 'sleep 1000 && echo done'], noTrunc: false }, 220_000);
    expect(fields).toEqual({
      ID: 'aaa111',
      Image: 'docker.io/library/nginx:1.27',
      Command: '"sh -c sleep 1000 &&…"',
      CreatedAt: '1970-01-01 00:01:40 +0000 UTC',
      RunningFor: '2 minutes ago',
      Status: 'Up 2 minutes',
      State: 'running',
      Names: 'web',
      Labels: { tier: 'front' },
    });
    expect(commandCell(['true'], false)).toBe('"true"');
    expect(commandCell(['sh', '-c', 'sleep 1000 && echo done'], true)).toBe('"sh -c sleep 1000 && echo done"');
  });
});
