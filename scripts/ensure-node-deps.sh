#!/usr/bin/env bash
# Installs node_modules from the lockfile when they are missing or older than the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."
marker=node_modules/.package-lock.json
# A linked node_modules is another checkout's (a worktree shares the main one's): npm ci would
# follow the link and wipe that checkout's install, so it is left to the checkout that owns it.
if [ -L node_modules ]; then
  exit 0
fi
if [ ! -f "$marker" ] || [ package-lock.json -nt "$marker" ]; then
  echo "deps: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
