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

# The import goes to the root dir the node will use (`--root-dir` among the arguments, if any).
root_dir=/var/lib/berth
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    --root-dir) root_dir=${args[i + 1]:-$root_dir} ;;
    --root-dir=*) root_dir=${args[i]#--root-dir=} ;;
  esac
done
tools_dir=${BERTH_TOOLS_DIR:-$HOME/.cache/berth/tools}
node bin/berth.js image import "$tools_dir/registry/current/demo-oci" --root-dir "$root_dir" --name localhost/berth/busybox >&2

exec node bin/berth.js node --pod-manifest-path manifests/static "$@"
