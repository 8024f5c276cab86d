// How a berth node's results of the upstream e2e specs are judged against the reference node's,
// and how the suite is pointed at the local registry (pure logic of test/conformance/upstream-e2e/).
import { describe, expect, it } from 'vitest';
import { countTotals, judged, runTotals } from '../../conformance/upstream-e2e/conformance-report.js';
import { repoList, type SpecResult, type SuiteRun } from '../../conformance/upstream-e2e/e2e-suite.js';
import type { NodeKind } from '../../conformance/upstream-e2e/fixture-nodes.js';
import { insecureRegistryExecStart, plainHttpHostsToml } from '../../conformance/upstream-e2e/kind-workers.js';
import { kindConfig } from '../../harness/kind-cluster.js';
import { subset, subsetFocus } from '../../conformance/upstream-e2e/subset.js';

const passed: SpecResult = { state: 'passed', message: '', seconds: 1 };
const failed: SpecResult = { state: 'failed', message: 'failed: timed out waiting for the pod', seconds: 2 };

function suite(results: Record<string, SpecResult>): SuiteRun {
  return { results: new Map(Object.entries(results)), interruptions: [], seconds: 3 };
}

describe('judging a berth node against the reference', () => {
  it('keeps a failure the reference passed as a failure', () => {
    expect(judged('spec', failed, passed).state).toBe('failed');
  });

  it('counts a failure the reference shares as skipped, with the reference message as the reason', () => {
    const verdict = judged('spec', failed, { ...failed, message: 'failed: needs DNS' });
    expect(verdict.state).toBe('skipped');
    expect(verdict.why).toContain('needs DNS');
  });

  it('counts a spec with no result as failed', () => {
    expect(judged('spec', undefined, passed).state).toBe('failed');
  });

  it('keeps a failure as a failure when the reference did not run', () => {
    expect(judged('spec', failed, undefined).state).toBe('failed');
  });

  it('totals only the berth nodes, never the reference', () => {
    const runs = new Map<NodeKind, SuiteRun>([
      ['containerd', suite({ a: passed, b: failed, c: passed })],
      ['berth', suite({ a: passed, b: failed, c: failed })],
    ]);
    expect(countTotals(['a', 'b', 'c'], runs)).toEqual({ passed: 1, failed: 1, skipped: 1 });
  });

  it('totals each run on its own: the reference as it ran, each berth run judged against it', () => {
    const runs = new Map<NodeKind, SuiteRun>([
      ['containerd', suite({ a: passed, b: failed })],
      ['berth', suite({ a: failed, b: failed })],
      ['upstream-berth', suite({ a: passed })],
    ]);
    expect(runTotals('containerd', ['a', 'b', 'c'], runs)).toEqual({ passed: 1, failed: 2, skipped: 0 });
    expect(runTotals('berth', ['a', 'b', 'c'], runs)).toEqual({ passed: 0, failed: 2, skipped: 1 });
    expect(runTotals('upstream-berth', ['a', 'b', 'c'], runs)).toEqual({ passed: 1, failed: 2, skipped: 0 });
  });
});

describe('the kind runs', () => {
  it("adds --insecure-registry to the berth-runtime unit's own command line, as systemctl shows it", () => {
    const shown =
      '{ path=/usr/local/bin/node ; argv[]=/usr/local/bin/node /opt/berth/bin/berth.js runtime --socket /run/berth/berth.sock --log-level info ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }';
    expect(insecureRegistryExecStart(shown, '172.30.251.1:5000')).toBe(
      '/usr/local/bin/node /opt/berth/bin/berth.js runtime --socket /run/berth/berth.sock --log-level info --insecure-registry 172.30.251.1:5000',
    );
  });

  it('refuses a unit with no command line, saying what systemctl showed', () => {
    expect(() => insecureRegistryExecStart('', 'h:1')).toThrow(/no argv\[\] in its ExecStart \(empty\)/);
  });

  it("points containerd's hosts directory at the registry over plain HTTP", () => {
    expect(plainHttpHostsToml('172.30.251.1:5000')).toBe('server = "http://172.30.251.1:5000"\n\n[host."http://172.30.251.1:5000"]\n  capabilities = ["pull", "resolve"]\n');
  });

  it("writes containerd patches as kind's containerdConfigPatches, before the nodes", () => {
    const config = kindConfig([{ role: 'control-plane' }], { containerdPatches: ['[plugins."x"]\n  config_path = "/d"\n'] });
    expect(config).toContain('containerdConfigPatches:\n- |\n  [plugins."x"]\n    config_path = "/d"\nnodes:\n');
  });
});

describe('the suite configuration', () => {
  it('maps the registries the suite names onto the local one, and leaves the invalid registry alone', () => {
    const list = repoList('127.0.0.1:5000');
    expect(list).toContain('promoterE2eRegistry: 127.0.0.1:5000/e2e-test-images\n');
    expect(list).toContain('gcRegistry: 127.0.0.1:5000\n');
    expect(list).not.toContain('invalidRegistry');
  });

  it('selects each subset spec by its whole name, regular-expression characters taken literally', () => {
    const focus = new RegExp(subsetFocus());
    for (const name of subset) expect(focus.test(`top ${name}`), name).toBe(true);
    expect(focus.test('[sig-node] Pods should get a host IP [Conformance] [NodeConformance] and more')).toBe(false);
    expect(focus.test('[sig-node] Probing container should be restarted with a exec "cat /tmp/health" liveness probe [Conformance]')).toBe(false);
  });
});
