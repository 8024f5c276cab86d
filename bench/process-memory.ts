// Memory of a runtime as the kernel accounts it: RSS and PSS (smaps_rollup) of the daemon and of
// every per-pod helper it keeps (containerd's shims and pause containers, berth's conmon
// monitors). Workload processes (the benchmark's own `sleep`) are left out: they cost the same on
// both runtimes.
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  cmdline: string;
}

export interface MemoryUse {
  rssBytes: number;
  pssBytes: number;
  processes: number;
}

export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name in stat may hold spaces and parentheses: ppid follows the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      out.push({ pid: Number(entry), ppid, cmdline });
    } catch {
      // The process ended while the table was read.
    }
  }
  return out;
}

/**
 * The daemon, every process whose command line names `marker` (the instance's socket or work
 * dir: shims and monitors carry it), and their descendants, less the workload: a process running
 * `workloadCmdline` directly below one of those roots.
 */
export function runtimeProcesses(processes: ProcessInfo[], daemonPid: number, marker: string, workloadCmdline: string): ProcessInfo[] {
  const roots = new Set(processes.filter((p) => p.pid === daemonPid || p.cmdline.includes(marker)).map((p) => p.pid));
  const children = new Map<number, ProcessInfo[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const selected = new Map<number, ProcessInfo>();
  const visit = (p: ProcessInfo): void => {
    if (selected.has(p.pid)) return;
    if (p.cmdline === workloadCmdline && roots.has(p.ppid)) return;
    selected.set(p.pid, p);
    for (const child of children.get(p.pid) ?? []) visit(child);
  };
  for (const p of processes) if (roots.has(p.pid)) visit(p);
  return [...selected.values()];
}

function rollupField(pid: number, field: 'Rss' | 'Pss'): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function memoryOf(pids: number[]): MemoryUse {
  let rssBytes = 0;
  let pssBytes = 0;
  for (const pid of pids) {
    rssBytes += rollupField(pid, 'Rss');
    pssBytes += rollupField(pid, 'Pss');
  }
  return { rssBytes, pssBytes, processes: pids.length };
}
