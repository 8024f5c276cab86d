// The node's own CPU and memory use, from /proc (the root is a parameter for tests).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface NodeUsage {
  timestampMs: number;
  cpuUsageSeconds: number;
  memoryWorkingSetBytes: number;
  memoryAvailableBytes: number;
  memoryTotalBytes: number;
}

/** USER_HZ: the unit of /proc/stat, 100 on every Linux architecture the kubelet runs on. */
const ticksPerSecond = 100;

/** Pure: busy CPU seconds (everything but idle and iowait) from /proc/stat's first line. */
export function cpuSecondsFromStat(text: string): number {
  const fields = (text.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / ticksPerSecond;
}

/** Pure: /proc/meminfo fields in bytes. */
export function memInfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?$/.exec(line.trim());
    if (match) out.set(match[1] ?? '', Number(match[2]) * (line.includes('kB') ? 1024 : 1));
  }
  return out;
}

export async function readNodeUsage(procDir = '/proc'): Promise<NodeUsage> {
  const [stat, meminfo] = await Promise.all([readFile(join(procDir, 'stat'), 'utf8'), readFile(join(procDir, 'meminfo'), 'utf8')]);
  const memory = memInfo(meminfo);
  const total = memory.get('MemTotal') ?? 0;
  const available = memory.get('MemAvailable') ?? 0;
  return {
    timestampMs: Date.now(),
    cpuUsageSeconds: cpuSecondsFromStat(stat),
    memoryWorkingSetBytes: Math.max(0, total - available),
    memoryAvailableBytes: available,
    memoryTotalBytes: total,
  };
}
