#!/usr/bin/env bash
# `npm run critest`: a fresh berth runtime (temporary dirs and socket) driven by the real critest,
# with the test images served by the seeded registry (berth mirrors the public hosts to it). Ends with
# "N passed, N failed, N skipped" counted from critest's own JSON report. Extra arguments go to critest
# (e.g. `npm run critest -- -ginkgo.focus=image`).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/ensure-node-deps.sh || exit 1
tools_dir=$(bash setup/tools.sh | tail -n 1) || { echo "critest: tool set-up failed" >&2; exit 1; }
# The test suite has just built: BERTH_CRITEST_NO_BUILD=1 saves a second tsc run.
[ -n "${BERTH_CRITEST_NO_BUILD:-}" ] || npm run --silent build || exit 1

# One critest at a time on a machine: runs share the CNI bridge and subnet below.
exec 9>/tmp/berth-critest.lock
if ! flock -n 9; then
  echo "critest: another critest run holds /tmp/berth-critest.lock; waiting" >&2
  flock 9
fi

work=$(mktemp -d /tmp/berth-critest.XXXXXX)
report_dir=${BERTH_CRITEST_REPORT_DIR:-$root/.test-results/critest}
mkdir -p "$report_dir"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  # Pods critest left behind keep their pinned namespaces and rootfs mounts.
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
  rm -rf "$work"
}
trap cleanup EXIT

# The seeded registry, read-only, on a free loopback port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
registry=127.0.0.1:$port
source setup/registry-config.sh
write_registry_config "$work/registry.yml" "$tools_dir/registry/current/storage" "$registry" true
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=($!)

# Pod networking for critest's pods: bridge + host-local, portmap for hostPort cases.
mkdir -p "$work/cni"
cat >"$work/cni/10-berth-critest.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "berth-critest",
  "plugins": [
    {"type": "bridge", "bridge": "berthcri0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]], "routes": [{"dst": "0.0.0.0/0"}],
              "dataDir": "$work/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON

socket=$work/berth.sock
# critest names its images on public registries; berth resolves those hosts to the seeded local
# registry (a mirror that replaces the host), so every image name means what critest expects.
# critest's -registry-prefix is not used: it drops tags (every pull would become :latest).
node bin/berth.js runtime --socket "$socket" --root-dir "$work/root" --state-dir "$work/state" \
  --registry-mirror "registry.k8s.io=http://$registry" --registry-mirror "k8s.gcr.io=http://$registry" \
  --registry-mirror "gcr.io=http://$registry" --insecure-registry "$registry" \
  --cni-conf-dir "$work/cni" --metrics-address 127.0.0.1:0 --log-level debug >"$work/berth.log" 2>&1 &
berth_pid=$!
pids+=($berth_pid)
for _ in $(seq 100); do
  [ -S "$socket" ] && break
  if ! kill -0 "$berth_pid" 2>/dev/null; then
    echo "critest: berth runtime exited before serving its socket:" >&2
    tail -n 20 "$work/berth.log" >&2
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
  sleep 0.1
done
[ -S "$socket" ] || { echo "critest: no socket at $socket after 10 s" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

"$tools_dir/bin/critest" \
  -runtime-endpoint "unix://$socket" -image-endpoint "unix://$socket" \
  -ginkgo.json-report "$report_dir/critest.json" -ginkgo.no-color \
  "$@" 2>&1 | tee "$report_dir/critest.log"
cp "$work/berth.log" "$report_dir/berth.log"

# A spec Ginkgo skipped with no message never ran (the run was interrupted or timed out): that
# counts as failed. Skips with a message are critest's own (no SELinux, Windows only, ...), and
# specs filtered out by -ginkgo.skip/-ginkgo.focus are skipped on purpose (on a run that was cut
# short, Ginkgo's report cannot tell those from the unrun, so they count as failed too).
counts=$(jq -r '[.[0].SpecReports[] | select(.LeafNodeType == "It")] as $specs |
  ($specs | map(select(.State == "skipped" and ((.Failure.Message // "") == "")))) as $unrun |
  (.[0].SpecialSuiteFailureReasons // []) as $reasons |
  ($specs | map(select(.State == "passed")) | length) as $passed |
  ($specs | map(select(.State == "failed" or .State == "panicked" or .State == "timedout" or .State == "interrupted" or .State == "aborted")) | length) as $failed |
  ($specs | map(select(.State == "skipped" or .State == "pending")) | length) as $skipped |
  if ($reasons | length) > 0 then
    "\($passed) passed, \($failed + ($unrun | length)) failed, \($skipped - ($unrun | length)) skipped"
  else
    "\($passed) passed, \($failed) failed, \($skipped) skipped"
  end' "$report_dir/critest.json" 2>/dev/null) || counts="0 passed, 1 failed, 0 skipped"
echo "$counts"
case $counts in *" 0 failed"*) [ "${counts%% *}" -gt 0 ] ;; *) false ;; esac
