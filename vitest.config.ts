// Six tiers, each a vitest project, run in this order by `npm test`:
//   unit          pure logic; no root, no peers, no network
//   integration   root; real runc/conmon/CNI plugins/registry and the Go-built peers
//   conformance   critest against a real berth
//   upstream-e2e  the upstream e2e suite's fixed subset on a berth node of the e2e fixture cluster
//   e2e           a real etcd + kube-apiserver (+ controller-manager, scheduler) and kubectl
//   v2-smoke      one file of the v2 project below (berth runtime with crun on the pure v2 guest), ~2 min
// and four outside `npm test`:
//   v2           `npm run test:v2`: berth itself on a pure cgroup v2 node, a Debian guest under qemu TCG (slow)
//   critest-v2   `npm run critest:v2`: the real critest against berth in that guest, crun then runc (slower)
//   kind         `npm run test:kind`: a real kind cluster (and a berth worker in it) on a private dockerd
//   kind-conformance  `npm run conformance`: the upstream suite on kind, containerd / berth / upstream-kubelet-on-berth workers
// The integration and e2e tiers share machine-wide resources (netns, loopback ports, cgroups), so
// their files run one at a time.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/harness/global-registry.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'conformance',
          include: ['test/conformance/**/*.test.ts'],
          // Its own tier (below), and `npm run conformance`'s runs on kind.
          exclude: ['test/conformance/upstream-e2e.test.ts', 'test/conformance/kind-e2e.test.ts'],
          fileParallelism: false,
          testTimeout: 1_200_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: {
          // The upstream e2e suite on fixture nodes (`npm run conformance`, test/conformance/README.md).
          name: 'upstream-e2e',
          include: ['test/conformance/upstream-e2e.test.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 2_400_000,
        },
      },
      {
        // Not one of npm test's tiers: `npm run conformance` (scripts/conformance.sh), one run of the
        // upstream suite per invocation on a kind cluster of its own.
        extends: true,
        test: {
          name: 'kind-conformance',
          include: ['test/conformance/kind-e2e.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 5_400_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/harness/global-cluster.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        // Not one of npm test's tiers: `npm run test:kind` (a kind cluster on a private dockerd).
        extends: true,
        test: {
          name: 'kind',
          include: ['test/kind/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 1_200_000,
        },
      },
      {
        // npm test's small share of the v2 project: the crun node (daemon, limits, OOM, restart) in one guest boot.
        extends: true,
        test: {
          name: 'v2-smoke',
          include: ['test/v2/berth-runtime-crun.test.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 900_000,
        },
      },
      {
        // Not one of npm test's tiers: `npm run test:v2` (berth on a pure cgroup v2 guest under qemu).
        extends: true,
        test: {
          name: 'v2',
          include: ['test/v2/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 900_000,
        },
      },
      {
        // Not one of npm test's tiers: `npm run critest:v2` (critest against berth in the v2 guest; long under TCG).
        extends: true,
        test: {
          name: 'critest-v2',
          include: ['test/v2-critest/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 8_000_000,
        },
      },
    ],
  },
});
