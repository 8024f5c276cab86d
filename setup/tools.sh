#!/usr/bin/env bash
# `npm run tools`: installs and builds every peer berth is tested against, idempotently, and
# prints the tools directory on its last line. Everything slow is cached outside the repo under
# ${BERTH_TOOLS_DIR:-$HOME/.cache/berth/tools}, keyed by version, so a fresh clone reuses it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export BERTH_TOOLS_DIR=${BERTH_TOOLS_DIR:-$HOME/.cache/berth/tools}
mkdir -p "$BERTH_TOOLS_DIR"

step() {
  local started=$SECONDS
  "$@"
  echo "tools: $(basename "$1") took $((SECONDS - started)) s" >&2
}

step "$here/apt.sh"
step "$here/go-tools.sh"
step "$here/images.sh"
# After images.sh (its busybox is the base) and go-tools.sh (agnhost).
step "$here/e2e-images.sh"
step "$here/cluster-pki.sh"
step "$here/guest-kernel.sh"
step "$here/kind-world.sh"
echo "$BERTH_TOOLS_DIR"
