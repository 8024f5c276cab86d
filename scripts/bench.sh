#!/usr/bin/env bash
# `npm run bench`: berth and containerd side by side (bench/main.ts). Never part of `npm test`.
# Arguments go to the benchmark (e.g. `npm run bench -- --sequential 5 --only containerd`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
export BERTH_TOOLS_DIR
BERTH_TOOLS_DIR=$(bash setup/tools.sh | tail -n 1)
npm run --silent build
node_modules/.bin/tsc -p tsconfig.bench.json
exec node dist-bench/bench/main.js "$@"
