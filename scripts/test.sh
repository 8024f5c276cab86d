#!/usr/bin/env bash
# `npm test`: every tier, set-up included, so it works on a fresh machine (as root).
# Each tier runs as its own vitest run, in order; the counts of all of them are summed into the
# last line: "N passed, N failed, N skipped". Extra arguments go to every vitest run
# (e.g. `npm test -- -t registry`). BERTH_TIERS="unit integration" runs a subset.
set -uo pipefail
cd "$(dirname "$0")/.."

results=.test-results
# Stale reports from an earlier run must never be summed into this one.
rm -rf "$results"
bash scripts/ensure-node-deps.sh || exit 1
if ! tools_dir=$(bash setup/tools.sh | tail -n 1); then
  echo "test: setting up the tools failed" >&2
  exit 1
fi
export BERTH_TOOLS_DIR=$tools_dir
npm run --silent build || { echo "test: build failed" >&2; exit 1; }

mkdir -p "$results"
status=0
for tier in ${BERTH_TIERS:-unit integration conformance e2e}; do
  echo "=== tier: $tier"
  started=$SECONDS
  node_modules/.bin/vitest run --project "$tier" --reporter=default --reporter=json \
    --outputFile.json="$results/$tier.json" "$@" || status=1
  echo "=== tier $tier took $((SECONDS - started)) s"
done
node scripts/test-summary.mjs "$results" || status=1
exit $status
