#!/usr/bin/env bash
# `npm start`: berth in standalone mode (no API server): the CRI socket, metrics and the static
# pods in manifests/static. Installs what it needs first (idempotent, cached); runs as root.
# Extra arguments go to `berth node` (e.g. `npm start -- --log-level debug`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash setup/apt.sh >&2
bash scripts/ensure-node-deps.sh
# The demo pod's image is built locally from Debian's busybox-static (no registry needed).
bash setup/images.sh >&2
npm run --silent build
exec node bin/berth.js node --pod-manifest-path manifests/static "$@"
