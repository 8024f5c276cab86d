// docker ps's selection and --format fields, pure: which containers -a, -f/--filter, -n and -l
// keep, and the fields a --format template may name (docker's names: .ID, .Image, .Command,
// .CreatedAt, .RunningFor, .Status, .State, .Names, .Labels).
import { InvalidArgumentError } from '../../common/errors.js';
import type { TemplateRow } from '../format-template.js';
import { humanDuration } from './container-table.js';

export interface PsCandidate {
  id: string;
  name: string;
  image: string;
  /** The CRI state: CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_EXITED, CONTAINER_UNKNOWN. */
  state: string;
  labels: Record<string, string>;
  /** Nanoseconds since the epoch, as the CRI says. */
  createdAt: string;
}

export type PsFilters = Map<string, string[]>;

const filterKeys = ['status', 'name', 'label', 'id', 'ancestor'] as const;
const dockerStates = ['created', 'running', 'exited', 'unknown'];

/** -f key=value, repeatable; the same key ORs, different keys AND, as docker's. */
export function parsePsFilters(entries: readonly string[]): PsFilters {
  const filters: PsFilters = new Map();
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    const key = equals < 0 ? entry : entry.slice(0, equals);
    if (equals < 0 || !filterKeys.includes(key as (typeof filterKeys)[number])) {
      throw new InvalidArgumentError(`invalid filter '${entry}': berth ps filters by ${filterKeys.map((k) => `${k}=...`).join(', ')}`);
    }
    const value = entry.slice(equals + 1);
    if (key === 'status' && !dockerStates.includes(value)) {
      throw new InvalidArgumentError(`invalid filter 'status=${value}': the states are ${dockerStates.join(', ')} (the CRI has no paused, restarting or dead)`);
    }
    filters.set(key, [...(filters.get(key) ?? []), value]);
  }
  return filters;
}

/** docker's State word for a CRI state. */
export function dockerState(criState: string): string {
  return criState.replace(/^CONTAINER_/, '').toLowerCase();
}

function matches(candidate: PsCandidate, key: string, value: string): boolean {
  switch (key) {
    case 'status':
      return dockerState(candidate.state) === value;
    case 'name':
      return candidate.name.includes(value);
    case 'id':
      return candidate.id.startsWith(value);
    case 'ancestor':
      return candidate.image === value || candidate.image.replace(/^docker\.io\/library\//, '') === value || candidate.image.startsWith(`${value}:`);
    default: {
      const equals = value.indexOf('=');
      return equals < 0 ? value in candidate.labels : candidate.labels[value.slice(0, equals)] === value.slice(equals + 1);
    }
  }
}

/** What docker ps shows: running ones unless -a, a status filter, -n or -l; newest first. */
export function selectContainers<T extends PsCandidate>(candidates: readonly T[], options: { all: boolean; filters: PsFilters; last?: number | undefined; latest: boolean }): T[] {
  const everyState = options.all || options.filters.has('status') || options.last !== undefined || options.latest;
  const kept = candidates
    .filter((candidate) => everyState || candidate.state === 'CONTAINER_RUNNING')
    .filter((candidate) => [...options.filters].every(([key, values]) => values.some((value) => matches(candidate, key, value))))
    .sort((a, b) => (BigInt(b.createdAt || '0') > BigInt(a.createdAt || '0') ? 1 : -1));
  const limit = options.latest ? 1 : options.last;
  return limit === undefined ? kept : kept.slice(0, limit);
}

/** docker's COMMAND cell: the command line quoted, cut to 20 characters unless --no-trunc. */
export function commandCell(argv: readonly string[], noTrunc: boolean): string {
  const line = argv.join(' ');
  return `"${noTrunc || line.length <= 20 ? line : `${line.slice(0, 19)}…`}"`;
}

/** The fields of one container for --format. */
export function psFields(candidate: PsCandidate, extra: { status: string; command: readonly string[]; noTrunc: boolean }, nowMs: number): TemplateRow {
  const createdMs = Number(BigInt(candidate.createdAt || '0') / 1_000_000n);
  return {
    ID: extra.noTrunc ? candidate.id : candidate.id.slice(0, 12),
    Image: candidate.image,
    Command: commandCell(extra.command, extra.noTrunc),
    CreatedAt: `${new Date(createdMs)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, '')} +0000 UTC`,
    RunningFor: `${humanDuration(nowMs - createdMs)} ago`,
    Status: extra.status,
    State: dockerState(candidate.state),
    Names: candidate.name,
    Labels: candidate.labels,
  };
}
