// Interface counters of a network namespace, from /proc/<pid>/net/dev of a process inside it
// (the kernel answers with the namespace of that process, not of the reader).
import { readFile } from 'node:fs/promises';

export interface InterfaceCounters {
  name: string;
  rxBytes: number;
  rxErrors: number;
  txBytes: number;
  txErrors: number;
}

/** Pure: the table of /proc/net/dev (two header lines, then "name: 16 counters"). */
export function parseNetDev(text: string): InterfaceCounters[] {
  const out: InterfaceCounters[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (fields.length < 16 || fields.some((n) => !Number.isFinite(n))) continue;
    out.push({ name: line.slice(0, colon).trim(), rxBytes: fields[0] ?? 0, rxErrors: fields[2] ?? 0, txBytes: fields[8] ?? 0, txErrors: fields[10] ?? 0 });
  }
  return out;
}

/** The counters of the namespace `pid` lives in; undefined once the process is gone. */
export async function readNetDev(pid: number, procRoot = '/proc'): Promise<InterfaceCounters[] | undefined> {
  const text = await readFile(`${procRoot}/${pid}/net/dev`, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseNetDev(text);
}
