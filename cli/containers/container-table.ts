// What `berth ps` prints, in docker's words: "Up 5 minutes", "Exited (137) 2 hours ago",
// columns padded to their widest cell. Pure: times come in as nanoseconds since the epoch (the
// CRI's), `now` as milliseconds.
import type { ContainerStatus__Output, Container__Output } from '../../api/cri/messages.js';
import { cliNameLabel } from './run-plan.js';

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;

/** Docker's (go-units') HumanDuration: seconds and minutes truncated, hours rounded. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / second);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / minute);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / hour);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / hour / 24 / 365)} years`;
}

const msOf = (nanos: string | undefined): number => Number(BigInt(nanos || '0') / 1_000_000n);

export function statusText(status: Pick<ContainerStatus__Output, 'state' | 'startedAt' | 'finishedAt' | 'exitCode'>, nowMs: number): string {
  switch (status.state) {
    case 'CONTAINER_RUNNING':
      return `Up ${humanDuration(nowMs - msOf(status.startedAt))}`;
    case 'CONTAINER_EXITED':
      return msOf(status.finishedAt) > 0 ? `Exited (${status.exitCode}) ${humanDuration(nowMs - msOf(status.finishedAt))} ago` : `Exited (${status.exitCode})`;
    case 'CONTAINER_CREATED':
      return 'Created';
    default:
      return 'Unknown';
  }
}

/** The name `berth ps` shows and `berth logs NAME` takes: the CLI's name, else pod/container. */
export function displayName(container: Pick<Container__Output, 'labels' | 'metadata'>, podName: string | undefined): string {
  const cliName = container.labels?.[cliNameLabel];
  if (cliName) return cliName;
  const name = container.metadata?.name ?? '';
  return podName ? `${podName}/${name}` : name;
}

export interface ContainerRow {
  id: string;
  image: string;
  createdAt: string;
  status: string;
  name: string;
}

/** Rows as docker prints them: each column padded to its widest cell plus three spaces. */
export function columns(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows.map((row) => `${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd((widths[column] ?? 0) + 3))).join('')}\n`).join('');
}

export function formatTable(rows: readonly ContainerRow[], nowMs: number, options: { noTrunc?: boolean } = {}): string {
  const cells = rows.map((row) => [options.noTrunc ? row.id : row.id.slice(0, 12), row.image, `${humanDuration(nowMs - msOf(row.createdAt))} ago`, row.status, row.name]);
  return columns([['CONTAINER ID', 'IMAGE', 'CREATED', 'STATUS', 'NAMES'], ...cells]);
}
