#!/usr/bin/env bash
# `npm run conformance`: the real upstream e2e suite (e2e.test of the pinned Kubernetes) against
# the fixture cluster (test/harness/cluster.ts), once per kind of worker node: the reference
# (upstream kubelet + containerd), berth's kubelet on berth's runtime, the upstream kubelet on
# berth's runtime. Writes JUnit per kind and CONFORMANCE.md, and ends with
# "N passed, N failed, N skipped" over the berth nodes (the reference is not counted).
#   --focus REGEX   Ginkgo focus (default: the fixed subset in test/conformance/upstream-e2e/subset.ts)
#   --skip REGEX    Ginkgo skip
#   --nodes LIST    comma-separated kinds (default: containerd,berth,upstream-berth)
# Creates machine state (netns, mounts, cgroups, daemons): run it as root, under the machine's
# test lock (flock /tmp/berth-itest.lock npm run conformance).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command="npm run conformance${*:+ -- $*}"

focus='' skip='' nodes=containerd,berth,upstream-berth
while [ $# -gt 0 ]; do
  case $1 in
    --focus) focus=$2; shift 2 ;;
    --focus=*) focus=${1#--focus=}; shift ;;
    --skip) skip=$2; shift 2 ;;
    --skip=*) skip=${1#--skip=}; shift ;;
    --nodes) nodes=$2; shift 2 ;;
    --nodes=*) nodes=${1#--nodes=}; shift ;;
    *) echo "conformance: unknown argument $1 (see scripts/conformance.sh)" >&2; exit 2 ;;
  esac
done

bash scripts/ensure-node-deps.sh || exit 1
tools_dir=$(bash setup/tools.sh | tail -n 1) || { echo "conformance: tool set-up failed" >&2; exit 1; }
BERTH_TOOLS_DIR=$tools_dir bash setup/go-tools.sh e2e-suite || exit 1
BERTH_TOOLS_DIR=$tools_dir bash setup/e2e-images.sh || exit 1
npm run --silent build || exit 1

report_dir=${BERTH_CONFORMANCE_REPORT_DIR:-$root/.test-results/conformance-e2e}
rm -rf "$report_dir" && mkdir -p "$report_dir"
BERTH_TOOLS_DIR=$tools_dir BERTH_CONFORMANCE_NODES=$nodes BERTH_CONFORMANCE_FOCUS=$focus BERTH_CONFORMANCE_SKIP=$skip \
  BERTH_CONFORMANCE_REPORT_DIR=$report_dir BERTH_CONFORMANCE_MARKDOWN=$root/CONFORMANCE.md \
  BERTH_CONFORMANCE_COMMAND=$command \
  node_modules/.bin/vitest run --project upstream-e2e
echo "conformance: JUnit per kind of node under $report_dir/<kind>/junit.xml; table in CONFORMANCE.md"
jq -r '.totals | "\(.passed) passed, \(.failed) failed, \(.skipped) skipped"' "$report_dir/summary.json" 2>/dev/null \
  || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
jq -e '.totals.failed == 0 and .totals.passed > 0' "$report_dir/summary.json" >/dev/null
