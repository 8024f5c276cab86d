#!/usr/bin/env bash
# `npm run test:v2`: berth on a pure cgroup v2 node (test/v2/: a Debian guest under qemu TCG, see
# test/harness/v2-node-guest.ts), outside `npm test` and CI: each file boots its own guest, one to
# two minutes each on a 2-core machine. It is npm test's own flow (set-up, build, type check, the
# closing "N passed, N failed, N skipped") run for the v2 project alone, after the guest's Debian
# rootfs is built (once; cached under the tools dir with a stamp). A rootfs that cannot be built
# is not hidden: the v2 files then fail, saying which set-up step makes it.
set -uo pipefail
cd "$(dirname "$0")/.."
export BERTH_TOOLS_DIR=${BERTH_TOOLS_DIR:-$HOME/.cache/berth/tools}
if ! { bash setup/guest-kernel.sh && bash setup/guest-rootfs.sh; } >&2; then
  echo "test:v2: building the guest (setup/guest-kernel.sh, setup/guest-rootfs.sh) failed" >&2
fi
# `npm run critest:v2` runs the critest-v2 project (test/v2-critest/) the same way.
BERTH_TIERS=${BERTH_V2_TIERS:-v2} exec bash scripts/test.sh "$@"
