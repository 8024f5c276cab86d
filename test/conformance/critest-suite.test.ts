// The pinned critest is complete: its Ginkgo suite enumerates every group of CRI validation specs
// that `npm run critest` will run against berth (a dry run walks the spec tree, touching no runtime).
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goTool } from '../harness/tools.js';

interface SpecReport {
  LeafNodeType: string;
  LeafNodeText: string;
  ContainerHierarchyTexts: string[] | null;
}

describe('critest', () => {
  it('enumerates the CRI validation suite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-critest-dry-'));
    try {
      const report = join(dir, 'report.json');
      await execa(goTool('critest'), ['-ginkgo.dry-run', `-ginkgo.json-report=${report}`, '-runtime-endpoint=unix:///nonexistent.sock'], {
        cwd: dir,
        timeout: 60_000,
      });
      const specs = (JSON.parse(readFileSync(report, 'utf8')) as { SpecReports: SpecReport[] }[])[0]?.SpecReports ?? [];
      const its = specs.filter((s) => s.LeafNodeType === 'It');
      expect(its.length).toBeGreaterThanOrEqual(120);
      const groups = new Set(its.map((s) => s.ContainerHierarchyTexts?.[0] ?? ''));
      for (const group of ['Container', 'Image Manager', 'Networking', 'PodSandbox', 'Security Context', 'Streaming']) {
        expect([...groups], group).toContain(`[k8s.io] ${group}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
