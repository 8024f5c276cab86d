// The real upstream e2e suite (e2e.test of the pinned Kubernetes) against the fixture cluster with
// one worker of each kind named in BERTH_CONFORMANCE_NODES (default: berth; see
// upstream-e2e/fixture-nodes.ts), one vitest case per spec and kind. A spec e2e.test passed passes
// here; one it failed fails here with its message, unless the reference node (containerd) fails it
// too, which makes it a skip with that reason. `npm run conformance` sets the selection
// (BERTH_CONFORMANCE_FOCUS/SKIP) and asks for CONFORMANCE.md; the tier runs the fixed subset.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../harness/cluster.js';
import type { Registry } from '../harness/registry.js';
import { requireRoot } from '../harness/root.js';
import { countTotals, judged, runVersions, writeConformanceMarkdown } from './upstream-e2e/conformance-report.js';
import { listSpecs, runSuite, type SuiteRun } from './upstream-e2e/e2e-suite.js';
import { nodeKinds, startFixtureNode, type FixtureNode, type NodeKind } from './upstream-e2e/fixture-nodes.js';
import { subset, subsetFocus } from './upstream-e2e/subset.js';
import { startSuiteRegistry } from './upstream-e2e/suite-images.js';

requireRoot('conformance');
const env = process.env;
const kinds = (env['BERTH_CONFORMANCE_NODES'] ?? 'berth').split(',').map((k) => k.trim()) as NodeKind[];
for (const kind of kinds) if (!nodeKinds.includes(kind)) throw new Error(`BERTH_CONFORMANCE_NODES: unknown node kind "${kind}" (known: ${nodeKinds.join(', ')})`);
// The reference runs first, so a berth node's failure can be judged against it.
kinds.sort((a, b) => Number(b === 'containerd') - Number(a === 'containerd'));
const focus = env['BERTH_CONFORMANCE_FOCUS'] || subsetFocus();
const skip = env['BERTH_CONFORMANCE_SKIP'] ?? '';
const reportRoot = env['BERTH_CONFORMANCE_REPORT_DIR'] || mkdtempSync(join(tmpdir(), 'berth-conformance-'));
const cniOctets: Record<NodeKind, number> = { berth: 174, 'upstream-berth': 175, containerd: 176 };
const perKindTimeoutMs = Number(env['BERTH_CONFORMANCE_TIMEOUT_S'] ?? 1_800) * 1000;

const specs = await listSpecs(focus, skip);
const runs = new Map<NodeKind, SuiteRun>();
const started = Date.now();

afterAll(() => {
  const summary = { totals: countTotals(specs, runs), seconds: (Date.now() - started) / 1000 };
  mkdirSync(reportRoot, { recursive: true });
  writeFileSync(join(reportRoot, 'summary.json'), JSON.stringify(summary, null, 2));
  const markdown = env['BERTH_CONFORMANCE_MARKDOWN'];
  if (markdown) {
    writeConformanceMarkdown(
      markdown,
      {
        date: new Date(started).toISOString(),
        command: env['BERTH_CONFORMANCE_COMMAND'] ?? 'vitest run --project upstream-e2e',
        seconds: summary.seconds,
        focus,
        skip,
        versions: runVersions(),
        world: [
          "The cluster is the fixture cluster of berth's e2e tier (test/harness/cluster.ts: etcd,",
          'kube-apiserver, kube-controller-manager, kube-scheduler of the pinned Kubernetes, on loopback),',
          'one fresh cluster per kind of node, one worker in it (`npm run conformance` runs on kind instead):',
        ],
      },
      specs,
      runs,
    );
  }
  if (!env['BERTH_CONFORMANCE_REPORT_DIR']) rmSync(reportRoot, { recursive: true, force: true });
});

it('selects specs to run', () => {
  expect(specs.length, `--focus ${focus} --skip ${skip} selects nothing`).toBeGreaterThan(0);
  if (!env['BERTH_CONFORMANCE_FOCUS'] && !skip) expect([...specs].sort()).toEqual([...subset].sort());
});

for (const kind of kinds) {
  describe(`upstream e2e specs on a ${kind} node`, () => {
    let registry: Registry | undefined;
    let cluster: Cluster | undefined;
    let node: FixtureNode | undefined;
    let run: SuiteRun = { results: new Map(), interruptions: [], seconds: 0 };

    beforeAll(async () => {
      try {
        registry = await startSuiteRegistry();
        cluster = await startCluster();
        const workDir = join(reportRoot, kind, 'node');
        node = await startFixtureNode(kind, {
          cluster,
          registryHost: registry.host,
          sandboxImage: `${registry.host}/pause:3.10.2`,
          cniOctet: cniOctets[kind],
          workDir,
          logDir: join(reportRoot, kind, 'logs'),
        });
        run = await runSuite({ kubeconfig: cluster.adminKubeconfig, focus, skip, registryHost: registry.host, reportDir: join(reportRoot, kind), timeoutMs: perKindTimeoutMs });
      } catch (error) {
        run.interruptions.push(`the ${kind} node or its cluster did not start: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        runs.set(kind, run);
        await node?.stop().catch((error: unknown) => run.interruptions.push(`stopping the node failed: ${String(error)}`));
        await cluster?.stop();
        await registry?.stop();
        rmSync(join(reportRoot, kind, 'node'), { recursive: true, force: true });
      }
    }, perKindTimeoutMs + 300_000);

    it('ran to the end', () => {
      expect(run.interruptions).toEqual([]);
    });

    for (const name of specs) {
      it(name, (context) => {
        const verdict = kind === 'containerd' ? run.results.get(name) : judged(name, run.results.get(name), runs.get('containerd')?.results.get(name));
        expect(verdict, 'e2e.test produced no result for this spec').toBeDefined();
        if (verdict?.state === 'skipped') {
          context.skip('why' in verdict && typeof verdict.why === 'string' ? verdict.why : verdict.message.split('\n')[0]);
          return;
        }
        expect(verdict?.state, verdict?.message).toBe('passed');
      });
    }
  });
}
