import { describe, expect, it } from 'vitest';
import { columns, displayName, formatTable, humanDuration, statusText } from '../../../cli/containers/container-table.js';
import { findContainer } from '../../../cli/containers/find-container.js';

const s = 1000;
const nanos = (ms: number) => String(BigInt(ms) * 1_000_000n);

describe('humanDuration (go-units)', () => {
  it.each([
    [400, 'Less than a second'],
    [1 * s, '1 second'],
    [59.9 * s, '59 seconds'],
    [60 * s, 'About a minute'],
    [119 * s, 'About a minute'],
    [45 * 60 * s, '45 minutes'],
    [90 * 60 * s, '2 hours'],
    [47 * 3600 * s, '47 hours'],
    [3 * 86400 * s, '3 days'],
    [20 * 86400 * s, '2 weeks'],
    [90 * 86400 * s, '3 months'],
    [800 * 86400 * s, '2 years'],
  ])('%d ms → %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('statusText', () => {
  const now = 1_800_000_000_000;
  it('says how long a running container has been up', () => {
    expect(statusText({ state: 'CONTAINER_RUNNING', startedAt: nanos(now - 5 * s), finishedAt: '0', exitCode: 0 }, now)).toBe('Up 5 seconds');
  });
  it('gives an exited container its code and how long ago it ended', () => {
    expect(statusText({ state: 'CONTAINER_EXITED', startedAt: nanos(now - 600 * s), finishedAt: nanos(now - 120 * s), exitCode: 137 }, now)).toBe('Exited (137) 2 minutes ago');
  });
  it('calls a created one Created', () => {
    expect(statusText({ state: 'CONTAINER_CREATED', startedAt: '0', finishedAt: '0', exitCode: 0 }, now)).toBe('Created');
  });
});

describe('names and tables', () => {
  it("names the CLI's containers by their name and the kubelet's by pod/container", () => {
    expect(displayName({ labels: { 'berth.dev/cli-name': 'web' }, metadata: { name: 'web', attempt: 0 } }, 'web')).toBe('web');
    expect(displayName({ labels: {}, metadata: { name: 'app', attempt: 0 } }, 'frontend-6d4f')).toBe('frontend-6d4f/app');
  });

  it('pads each column to its widest cell', () => {
    expect(
      columns([
        ['A', 'BB'],
        ['aaaa', 'b'],
      ]),
    ).toBe('A      BB\naaaa   b\n');
  });

  it('prints docker ps columns with short IDs', () => {
    const now = 1_800_000_000_000;
    const table = formatTable([{ id: 'a'.repeat(64), image: 'busybox', createdAt: nanos(now - 3 * s), status: 'Up 2 seconds', name: 'web' }], now);
    expect(table).toBe(`CONTAINER ID   IMAGE     CREATED         STATUS         NAMES\n${'a'.repeat(12)}   busybox   3 seconds ago   Up 2 seconds   web\n`);
  });
});

describe('findContainer', () => {
  const containers = [
    { id: 'abc123', name: 'web' },
    { id: 'abd456', name: 'db' },
    { id: 'web999', name: 'other' },
  ];
  it('takes an exact ID, then a name, then a unique ID prefix', () => {
    expect(findContainer(containers, 'web999').name).toBe('other');
    expect(findContainer(containers, 'web').id).toBe('abc123');
    expect(findContainer(containers, 'abd').name).toBe('db');
  });
  it('refuses an ambiguous prefix and an unknown reference', () => {
    expect(() => findContainer(containers, 'ab')).toThrow('the ID prefix ab matches 2 containers');
    expect(() => findContainer(containers, 'nope')).toThrow('no such container: nope');
  });
});
