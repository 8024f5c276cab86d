import { describe, expect, it } from 'vitest';
import { toContainerStats } from '../../../cri/runtime/container-stats.js';
import type { ContainerRecord } from '../../../runtime/containers/container-record.js';
import type { ContainerUsage } from '../../../runtime/containers/container-usage.js';

const record = { id: 'c-1', config: { metadata: { name: 'main', attempt: 0 }, labels: {}, annotations: {}, linux: { resources: { memoryLimitInBytes: '0' } } } } as unknown as ContainerRecord;
const some = { totalNanos: 123_000, avg10: 1.5, avg60: 0.5, avg300: 0.25 };

describe('CRI ContainerStats from the cgroup figures', () => {
  it("sends v2 pressure stall information as the CRI's PsiStats (cpu, memory, io), totals in ns", () => {
    const usage = {
      timestampNanos: 5n,
      usageNanoCores: undefined,
      cgroup: { cpu: { usageNanos: 9, periods: 0, throttledPeriods: 0, throttledNanos: 0 }, psi: { cpu: { some }, io: { some, full: some } } },
    };
    const stats = toContainerStats(record, usage as unknown as ContainerUsage);
    expect(stats.cpu?.psi).toEqual({ Some: { Total: '123000', Avg10: 1.5, Avg60: 0.5, Avg300: 0.25 }, Full: null });
    expect(stats.memory?.psi).toBeNull();
    expect(stats.io).toEqual({ timestamp: '5', psi: { Some: { Total: '123000', Avg10: 1.5, Avg60: 0.5, Avg300: 0.25 }, Full: { Total: '123000', Avg10: 1.5, Avg60: 0.5, Avg300: 0.25 } } });
  });

  it('sends no PSI where the kernel keeps none', () => {
    const stats = toContainerStats(record, { timestampNanos: 5n, usageNanoCores: undefined, cgroup: {} } as unknown as ContainerUsage);
    expect(stats.cpu?.psi).toBeNull();
    expect(stats.io).toBeNull();
  });
});
