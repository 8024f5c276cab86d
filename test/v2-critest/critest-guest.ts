// The real critest against `berth runtime` on a pure cgroup v2 node (the Debian guest under qemu
// TCG, harness/v2-node-guest.ts), once per OCI runtime. The guest has no network card: the seeded
// registry's storage is carried in and served read-only by Debian's docker-registry on the
// guest's loopback, which berth mirrors registry.k8s.io, k8s.gcr.io and gcr.io to (as `npm run
// critest` does on the host), and critest's pods get CNI networking from a bridge inside the guest.
// critest's JSON report, its log and berth's come back on the results disk.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CritestRun, critestCases, critestSpecNames, readCritestRun, unsupportedSkipArgs } from '../harness/critest-specs.js';
import { seededRegistryDir } from '../harness/tools.js';
import { nodeGuestTimeLimitMs, payloadDir, resultsMount, runInNodeGuest } from '../harness/v2-node-guest.js';
import { packageRoot } from '../../common/package-root.js';

/** How long critest may run in the guest; the whole suite under TCG, with room (measured: see the report). */
const critestTimeoutMs = 90 * 60_000;
const registry = '127.0.0.1:5000';
const endpoint = 'unix:///run/berth/berth.sock';

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function critestScript(runtime: 'runc' | 'crun' | undefined, critestArgs: string[]): string {
  const conflist = {
    cniVersion: '1.0.0',
    name: 'berth-critest',
    plugins: [
      {
        type: 'bridge',
        bridge: 'berthcri0',
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.198.0/24' }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
  const mirrors = ['registry.k8s.io', 'k8s.gcr.io', 'gcr.io'].map((host) => `--registry-mirror ${host}=http://${registry}`).join(' ');
  return `
set -u
out=${resultsMount}
echo "controllers $(cat /sys/fs/cgroup/cgroup.controllers)"
# The same configuration the host's seeded registry is served with, read-only.
source ${payloadDir}/carry/registry-config.sh
write_registry_config /tmp/registry.yml ${payloadDir}/carry/registry ${registry} true
docker-registry serve /tmp/registry.yml > $out/registry.log 2>&1 &
i=0; until (exec 3<>/dev/tcp/${registry.replace(':', '/')}) 2>/dev/null || [ $i -ge 240 ]; do sleep 0.5; i=$((i+1)); done
(exec 3<>/dev/tcp/${registry.replace(':', '/')}) 2>/dev/null || { echo "step-failed registry"; exit 1; }

mkdir -p /etc/cni/net.d
cat > /etc/cni/net.d/10-berth-critest.conflist <<'JSON'
${JSON.stringify(conflist)}
JSON
berth runtime ${runtime ? `--runtime ${runtime}` : ''} ${mirrors} --insecure-registry ${registry} --metrics-address '' --log-level debug > $out/berth.log 2>&1 &
berth=$!
i=0; while [ ! -S /run/berth/berth.sock ] && kill -0 $berth 2>/dev/null && [ $i -lt 480 ]; do sleep 0.5; i=$((i+1)); done
[ -S /run/berth/berth.sock ] || { echo "step-failed runtime-start"; tail -n 40 $out/berth.log; exit 1; }
echo "selected $(grep -o '"runtime":"[a-z]*"' $out/berth.log | head -n 1)"

started=$(date +%s)
critest -runtime-endpoint ${endpoint} -image-endpoint ${endpoint} -ginkgo.no-color -ginkgo.timeout=3h \\
  -ginkgo.json-report=$out/critest.json ${critestArgs.map(quote).join(' ')} > $out/critest.log 2>&1
echo "critest-exit $?"
echo "critest-seconds $(( $(date +%s) - started ))"
tail -n 5 $out/critest.log
kill $berth; wait $berth
echo "berth-exit $?"
`;
}

export interface GuestCritest {
  run: CritestRun;
  /** critest's wall-clock seconds in the guest, as the guest measured it. */
  seconds: number;
  reportDir: string;
}

/** One vitest file's worth: boot the guest, run critest in it, one case per critest spec. */
export async function describeCritestInGuest(title: string, runtime: 'runc' | 'crun' | undefined, label: string): Promise<void> {
  const specNames = await critestSpecNames();
  const reportDir = join(packageRoot(), '.test-results/critest-v2', label);
  let run: CritestRun = { specs: new Map(), interruptions: [] };
  let output = '';

  describe(title, () => {
    beforeAll(
      async () => {
        // BERTH_CRITEST_V2_ARGS: more critest arguments, e.g. -ginkgo.focus=Streaming to rerun a few specs (the rest report skipped).
        const extra = (process.env['BERTH_CRITEST_V2_ARGS'] ?? '').split(' ').filter(Boolean);
        const guest = await runInNodeGuest(critestScript(runtime, [...unsupportedSkipArgs(), ...extra]), {
          timeoutMs: critestTimeoutMs,
          memoryMb: 3072,
          carry: [
            { from: join(seededRegistryDir(), 'storage'), to: 'registry' },
            { from: join(packageRoot(), 'setup/registry-config.sh'), to: 'registry-config.sh' },
          ],
          results: { dir: reportDir, sizeMb: 512 },
        });
        output = guest.output;
        process.stdout.write(`critest in the v2 guest (${label}):\n${output}\n`);
        const report = join(reportDir, 'critest.json');
        if (!existsSync(report)) throw new Error(`critest wrote no report in the guest (exit ${guest.exitCode}):\n${output}\n${guest.console.slice(-3000)}`);
        const finished = guest.exitCode === 0 && /^critest-seconds \d+$/m.test(output);
        run = readCritestRun(report, finished ? undefined : `the guest's script ended with ${guest.exitCode} before critest finished`);
      },
      nodeGuestTimeLimitMs({ timeoutMs: critestTimeoutMs }),
    );

    it(`serves the CRI on the pure v2 node with ${runtime ?? 'the runtime berth picks there, crun'}`, () => {
      expect(/^controllers (.*)$/m.exec(output)?.[1]?.split(' ')).toEqual(expect.arrayContaining(['cpu', 'io', 'memory', 'pids']));
      expect(/^selected (.*)$/m.exec(output)?.[1]).toBe(`"runtime":"${runtime ?? 'crun'}"`);
    });

    critestCases(specNames, () => run);
  });
}
