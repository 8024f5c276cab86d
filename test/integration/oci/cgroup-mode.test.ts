// Cgroup mode detection and runtime selection on this real host, checked against findmnt.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { detectCgroupMode } from '../../../runtime/oci/cgroup-mode.js';
import { findOciRuntimes, selectOciRuntime } from '../../../runtime/oci/runtime-selection.js';

async function fsType(path: string): Promise<string> {
  const result = await execa('findmnt', ['-n', '-o', 'FSTYPE', '--mountpoint', path], { reject: false });
  return result.stdout.trim();
}

describe('cgroup mode of this host (findmnt as the witness)', () => {
  it('detects the mode findmnt shows', async () => {
    const root = await fsType('/sys/fs/cgroup');
    const unified = await fsType('/sys/fs/cgroup/unified');
    const expected = root === 'cgroup2' ? 'v2' : unified === 'cgroup2' ? 'hybrid' : 'v1';
    expect(await detectCgroupMode()).toBe(expected);
  });

  it('selects a runtime that can run here, and refuses crun unless the host is pure v2', async () => {
    const mode = await detectCgroupMode();
    const found = await findOciRuntimes(process.env['PATH'] ?? '');
    const selected = selectOciRuntime(undefined, { cgroupMode: mode, found });
    expect(selected.name).toBe(mode === 'v2' && found.crun ? 'crun' : 'runc');
    if (mode !== 'v2') {
      expect(() => selectOciRuntime('crun', { cgroupMode: mode, found })).toThrow(expect.objectContaining({ code: 'FAILED_PRECONDITION' }));
    }
  });
});
