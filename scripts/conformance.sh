#!/usr/bin/env bash
# `npm run conformance`: the real upstream e2e suite (e2e.test of the pinned Kubernetes) on the kind
# world, three runs, each on a kind cluster of its own with two workers of one kind
# (test/conformance/kind-e2e.test.ts):
#   A  containerd      kind's own workers: containerd + the pinned upstream kubelet (the reference)
#   B  berth           berth nodes joined with `berth join`: berth's kubelet and runtime
#   C  upstream-berth  kind workers whose runtime is berth: the pinned upstream kubelet on berth's CRI
# Each run holds the machine's test lock (/tmp/berth-itest.lock) only while it runs, so others'
# tests get the machine between runs. JUnit per run under the report dir, CONFORMANCE.md rendered
# from every run's reports, and the last line "N passed, N failed, N skipped" over B and C (a
# failure A shares counts as skipped, with its reason in CONFORMANCE.md).
#   --focus REGEX   Ginkgo focus (default: the fixed subset in test/conformance/upstream-e2e/subset.ts)
#   --skip REGEX    Ginkgo skip
#   --procs N       parallel Ginkgo processes (the Ginkgo CLI runs e2e.test; [Serial] specs run alone); default 1
#   --nodes LIST    comma-separated kinds to run now (default: containerd,berth,upstream-berth); a
#                   run left out keeps its reports from before (of any selection: results go by spec name)
# Run as root (machine state: a private dockerd, kind node containers, netns, mounts).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command="npm run conformance${*:+ -- $*}"

focus='' skip='' procs=1 nodes=containerd,berth,upstream-berth
while [ $# -gt 0 ]; do
  case $1 in
    --focus) focus=$2; shift 2 ;;
    --focus=*) focus=${1#--focus=}; shift ;;
    --skip) skip=$2; shift 2 ;;
    --skip=*) skip=${1#--skip=}; shift ;;
    --procs) procs=$2; shift 2 ;;
    --procs=*) procs=${1#--procs=}; shift ;;
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
mkdir -p "$report_dir"
lock=${BERTH_TEST_LOCK:-/tmp/berth-itest.lock}
IFS=, read -r -a kinds <<<"$nodes"
for kind in "${kinds[@]}"; do
  case $kind in containerd | berth | upstream-berth) ;; *) echo "conformance: unknown kind $kind" >&2; exit 2 ;; esac
  # A run's old reports go first: a run cut short must not leave the one before it standing.
  rm -rf "${report_dir:?}/$kind"
  started=$SECONDS
  echo "conformance: run $kind: waiting for $lock"
  flock "$lock" env BERTH_TOOLS_DIR="$tools_dir" BERTH_CONFORMANCE_NODES="$kind" BERTH_CONFORMANCE_FOCUS="$focus" \
    BERTH_CONFORMANCE_SKIP="$skip" BERTH_CONFORMANCE_PROCS="$procs" BERTH_CONFORMANCE_REPORT_DIR="$report_dir" BERTH_CONFORMANCE_MARKDOWN="$root/CONFORMANCE.md" \
    BERTH_CONFORMANCE_COMMAND="$command" node_modules/.bin/vitest run --project kind-conformance
  echo "conformance: run $kind ended (rc $?) after $((SECONDS - started)) s, the lock wait included"
done
echo "conformance: JUnit per run under $report_dir/<kind>/junit.xml; table in CONFORMANCE.md"
jq -r '.perRun | to_entries[] | "conformance: \(.key): \(.value.passed) passed, \(.value.failed) failed, \(.value.skipped) skipped"' "$report_dir/summary.json" 2>/dev/null
jq -r '.totals | "\(.passed) passed, \(.failed) failed, \(.skipped) skipped"' "$report_dir/summary.json" 2>/dev/null \
  || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
jq -e '.totals.failed == 0 and .totals.passed > 0' "$report_dir/summary.json" >/dev/null
