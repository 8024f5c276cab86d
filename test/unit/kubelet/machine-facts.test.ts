import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readMachineFacts } from '../../../kubelet/machine-facts.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fakeRoots(): { procDir: string; etcDir: string; dataDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'berth-facts-'));
  dirs.push(root);
  const procDir = join(root, 'proc');
  const etcDir = join(root, 'etc');
  mkdirSync(join(procDir, 'sys/kernel/random'), { recursive: true });
  mkdirSync(etcDir);
  for (const pid of ['1', '42', '4242']) mkdirSync(join(procDir, pid));
  writeFileSync(join(procDir, 'meminfo'), 'MemTotal:        2048000 kB\nMemFree:          100000 kB\nMemAvailable:    1024000 kB\nHugePages_Total:       8\nHugepagesize:       2048 kB\n');
  writeFileSync(join(procDir, 'sys/kernel/random/boot_id'), 'boot-1234\n');
  writeFileSync(join(procDir, 'sys/kernel/pid_max'), '32768\n');
  writeFileSync(join(etcDir, 'os-release'), 'NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n');
  writeFileSync(join(etcDir, 'machine-id'), 'abcdef0123456789\n');
  return { procDir, etcDir, dataDir: root };
}

describe('machine facts', () => {
  it('reads memory, huge pages, ids, PIDs and the OS image from the given roots', async () => {
    const facts = await readMachineFacts(fakeRoots());
    expect(facts).toMatchObject({
      memoryBytes: 2048000 * 1024,
      memoryAvailableBytes: 1024000 * 1024,
      hugepages2MiBytes: 8 * 2 * 1024 * 1024,
      bootId: 'boot-1234',
      machineId: 'abcdef0123456789',
      pidMax: 32768,
      processCount: 3,
      osImage: 'Debian GNU/Linux 12 (bookworm)',
    });
  });

  it('measures ephemeral storage on the filesystem of the data directory', async () => {
    const facts = await readMachineFacts(fakeRoots());
    expect(facts.rootFsCapacityBytes).toBeGreaterThan(0);
    expect(facts.rootFsAvailableBytes).toBeLessThanOrEqual(facts.rootFsCapacityBytes);
  });
});
