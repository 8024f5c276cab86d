#!/usr/bin/env bash
# `npm test`: every tier, set-up included, so it works on a fresh machine (as root).
# Each tier runs as its own vitest run, in order; the counts of all of them are summed into the
# last line: "N passed, N failed, N skipped". Extra arguments go to every vitest run
# (e.g. `npm test -- -t registry`). BERTH_TIERS="unit integration" runs a subset.
# Whatever breaks (the set-up, the type check, a tier that crashes), scripts/test-summary.mjs
# counts it as failed: this script records what it meant to run before it runs anything.
set -uo pipefail
cd "$(dirname "$0")/.."

results=.test-results
tiers=${BERTH_TIERS:-unit integration conformance upstream-e2e e2e v2-smoke}
# Stale reports from an earlier run must never be summed into this one.
rm -rf "$results"
mkdir -p "$results"
printf '%s\n' $tiers >"$results/expected-tiers"

setup_failed() {
  echo "test: $1" >&2
  echo "$1" >"$results/setup-failed"
  node scripts/test-summary.mjs "$results"
  exit 1
}

bash scripts/ensure-node-deps.sh || setup_failed "installing node_modules failed"
if ! tools_dir=$(bash setup/tools.sh | tail -n 1); then
  setup_failed "setting up the tools failed (npm run tools)"
fi
export BERTH_TOOLS_DIR=$tools_dir
npm run --silent build || setup_failed "the build failed (npm run build)"
# The v2-smoke tier boots the Debian node guest: its rootfs is built once (mmdebstrap, ~1.5 min) and
# cached. A build that fails is said here and then fails that tier's tests, not the whole run.
case " $tiers " in *" v2-smoke "*)
  bash setup/guest-rootfs.sh >&2 || echo "test: building the v2 guest's rootfs (setup/guest-rootfs.sh) failed; the v2-smoke tier will fail" >&2 ;;
esac

status=0
# The build covers the product code; this covers test/ and bench/ too (excluded from the build).
if ! node_modules/.bin/tsc -p tsconfig.json --noEmit; then
  echo "the type check of the product, test/ and bench/ failed (tsc -p tsconfig.json --noEmit)" >"$results/check-typecheck.failed"
  status=1
fi
if ! node_modules/.bin/biome ci --assist-enabled=false --error-on-warnings --max-diagnostics=50 .; then
  echo "the linter or the formatter found problems (npm run lint; npm run format rewrites the formatting)" >"$results/check-lint.failed"
  status=1
fi

for tier in $tiers; do
  echo "=== tier: $tier"
  started=$SECONDS
  BERTH_TIER_REPORT="$results/$tier.counts.json" node_modules/.bin/vitest run --project "$tier" \
    --reporter=default --reporter=./test/harness/tier-report.ts "$@"
  code=$?
  echo "$code" >"$results/$tier.exit"
  [ "$code" -eq 0 ] || status=1
  echo "=== tier $tier took $((SECONDS - started)) s"
done
node scripts/test-summary.mjs "$results" || status=1
exit $status
