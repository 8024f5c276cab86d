import { describe, expect, it } from 'vitest';
import type { Volume__Output } from '../../../api/berth/berth-messages.js';
import { alignColumns, formatRows } from '../../../cli/format-template.js';
import { volumeFilter, volumeInspect, volumeList } from '../../../cli/volumes/volume-output.js';

const volume = (name: string, extra: Partial<Volume__Output> = {}): Volume__Output => ({
  name,
  driver: 'local',
  mountpoint: `/var/lib/berth/volumes/${name}/_data`,
  createdAt: '2026-12-07T17:00:00.123Z',
  labels: {},
  anonymous: false,
  usedBy: [],
  ...extra,
});

describe('docker volume output', () => {
  it("lists volumes in docker's table, or names only with -q", () => {
    const volumes = [volume('data'), volume('a-much-longer-volume-name')];
    expect(volumeList(volumes, { quiet: false })).toBe('DRIVER    VOLUME NAME\nlocal     data\nlocal     a-much-longer-volume-name\n');
    expect(volumeList(volumes, { quiet: true })).toBe('data\na-much-longer-volume-name\n');
  });

  it("inspects as docker's JSON: seconds-only time, null labels and options, the anonymous label", () => {
    const [plain, anonymous] = JSON.parse(volumeInspect([volume('data'), volume('f00d', { anonymous: true })])) as Record<string, unknown>[];
    expect(plain).toEqual({ CreatedAt: '2026-12-07T17:00:00Z', Driver: 'local', Labels: null, Mountpoint: '/var/lib/berth/volumes/data/_data', Name: 'data', Options: null, Scope: 'local' });
    expect(anonymous?.['Labels']).toEqual({ 'com.docker.volume.anonymous': '' });
  });

  it('filters by dangling, name and label', () => {
    const volumes = [volume('used', { usedBy: ['abc'], labels: { tier: 'db' } }), volume('free')];
    expect(volumes.filter(volumeFilter(['dangling=true'])).map((v) => v.name)).toEqual(['free']);
    expect(volumes.filter(volumeFilter(['label=tier=db'])).map((v) => v.name)).toEqual(['used']);
    expect(volumes.filter(volumeFilter(['name=fr', 'dangling=true'])).map((v) => v.name)).toEqual(['free']);
    expect(() => volumeFilter(['until=1h'])).toThrow(/berth knows dangling, name, label and driver/);
  });
});

describe('the --format template subset', () => {
  it('renders fields, json and a table with headers', () => {
    const rows = [{ Name: 'a', Labels: { x: '1', y: '2' } }];
    expect(formatRows('{{.Name}}={{.Labels}}', rows, {})).toBe('a=x=1,y=2\n');
    expect(formatRows('{{json .Labels}}', rows, {})).toBe('{"x":"1","y":"2"}\n');
    expect(formatRows('table {{.Name}}\\t{{.Labels}}', rows, { Name: 'VOLUME NAME' })).toBe('VOLUME NAME   LABELS\na             x=1,y=2\n');
  });

  it('refuses what it does not understand and fields that do not exist', () => {
    expect(() => formatRows('{{range .}}{{end}}', [{ Name: 'a' }], {})).toThrow(/--format: berth understands/);
    expect(() => formatRows('{{.Nope}}', [{ Name: 'a' }], {})).toThrow(/there is no field Nope; the fields are Name/);
  });

  it("pads columns as docker's tabwriter (minimum 10, padding 3)", () => {
    expect(alignColumns(['A\tB', 'long-cell-here\tC'])).toBe(`A${' '.repeat(16)}B\nlong-cell-here   C`);
  });
});
