// The bash the v2 node guest runs: `berth runtime` started as an operator would (no cgroup flags),
// then crictl drives it over the CRI socket: a pod and a container with limits, the v2 files the
// OCI runtime wrote for them read back, a live update, an OOM kill, a kill -9 of the daemon and its
// restart, and everything removed again. Each fact is printed as
// "key value" (or between "=== label file" / "=== end" markers) for the test to parse.
import { payloadDir } from '../harness/v2-node-guest.js';

export const mib = 1 << 20;

/** The limits the container asks for, in CRI terms (crictl's JSON spelling). */
export const containerResources = {
  cpu_period: 100_000,
  cpu_quota: 20_000,
  cpu_shares: 512,
  memory_limit_in_bytes: 32 * mib,
  cpuset_cpus: '0',
  unified: { 'memory.high': String(30 * mib) },
};

const endpoint = 'unix:///run/berth/berth.sock';

export interface NodeScriptOptions {
  /** `--runtime` for berth; absent: berth picks (crun on a pure v2 host). */
  runtime?: 'runc' | 'crun';
}

export function nodeScript(options: NodeScriptOptions = {}): string {
  const pod = {
    metadata: { name: 'limits', namespace: 'v2', uid: 'v2-limits-pod', attempt: 0 },
    log_directory: '/var/log/pods/v2-limits',
    linux: { cgroup_parent: '/kubepods/burstable/podv2limits' },
  };
  const container = {
    metadata: { name: 'busy', attempt: 0 },
    image: { image: 'guest.local/busybox:1' },
    command: ['sh', '-c', 'while :; do :; done'],
    log_path: 'busy.log',
    linux: { resources: containerResources },
  };
  const oom = {
    metadata: { name: 'oom', attempt: 0 },
    image: { image: 'guest.local/busybox:1' },
    // tail keeps a newline-less input in memory: the container's own init outgrows its limit.
    command: ['tail', '/dev/zero'],
    log_path: 'oom.log',
    linux: { resources: { memory_limit_in_bytes: 16 * mib } },
  };
  return `
set -u
printf 'runtime-endpoint: ${endpoint}\nimage-endpoint: ${endpoint}\n' > /etc/crictl.yaml
crictl() { ${payloadDir}/bin/crictl --runtime-endpoint ${endpoint} --image-endpoint ${endpoint} --timeout 120s "$@"; }
fail() { echo "step-failed $1"; echo "=== berth-log"; tail -n 60 /tmp/berth.log; echo "=== end"; exit 1; }
echo "controllers $(cat /sys/fs/cgroup/cgroup.controllers)"

mkdir -p /etc/cni/net.d /var/log/pods
# Node under TCG starts in tens of seconds; a daemon that died is not waited for. The socket of an
# earlier instance may still be there: the daemon is up when it answers.
start_berth() {
  berth runtime ${options.runtime ? `--runtime ${options.runtime}` : ''} --metrics-address '' >> /tmp/berth.log 2>&1 &
  berth=$!
  i=0; while ! crictl version > /dev/null 2>&1 && kill -0 $berth 2>/dev/null && [ $i -lt 480 ]; do sleep 0.5; i=$((i+1)); done
  crictl version > /dev/null 2>&1 || fail runtime-start
}
start_berth
crictl version > /tmp/version.out 2>&1 || fail version
echo "runtime-name $(awk '/RuntimeName/ {print $2}' /tmp/version.out)"
echo "selected $(grep -o '"runtime":"[a-z]*"' /tmp/berth.log | head -n 1)"

berth import --runtime-endpoint ${endpoint} ${payloadDir}/busybox-rootfs.tar guest.local/busybox:1 > /tmp/import.out 2>&1 || { cat /tmp/import.out; fail import; }
echo "image $(crictl images -q guest.local/busybox:1 | head -n 1 | cut -c1-19)"

cat > /tmp/pod.json <<'JSON'
${JSON.stringify(pod)}
JSON
cat > /tmp/container.json <<'JSON'
${JSON.stringify(container)}
JSON
pod=$(crictl runp /tmp/pod.json 2>/tmp/runp.err) || { cat /tmp/runp.err; fail runp; }
ctr=$(crictl create $pod /tmp/container.json /tmp/pod.json 2>/tmp/create.err) || { cat /tmp/create.err; fail create; }
crictl start $ctr > /dev/null 2>/tmp/start.err || { cat /tmp/start.err; fail start; }
echo "state $(crictl inspect -o go-template --template '{{.status.state}}' $ctr)"

dir=$(find /sys/fs/cgroup -type d -name "*$ctr*" | head -n 1)
echo "container-cgroup \${dir#/sys/fs/cgroup}"
for file in cpu.max cpu.weight memory.max memory.high memory.swap.max cpuset.cpus pids.max; do
  echo "=== container $file"; cat $dir/$file; echo "=== end"
done
poddir=$(dirname $dir)
for file in cpu.max cpu.weight memory.max pids.max cgroup.subtree_control; do
  echo "=== pod $file"; cat $poddir/$file; echo "=== end"
done
echo "procs $(wc -l < $dir/cgroup.procs)"
echo "=== throttle-0 cpu.stat"; cat $dir/cpu.stat; echo "=== end"
sleep 2
echo "=== throttle-1 cpu.stat"; cat $dir/cpu.stat; echo "=== end"
echo "stats $(crictl stats -o json $ctr | tr -d '\n')"

crictl update --cpu-quota 50000 --cpu-period 100000 --memory ${64 * mib} $ctr > /dev/null 2>/tmp/update.err || { cat /tmp/update.err; fail update; }
for file in cpu.max memory.max; do echo "=== updated $file"; cat $dir/$file; echo "=== end"; done

cat > /tmp/oom.json <<'JSON'
${JSON.stringify(oom)}
JSON
oom=$(crictl create $pod /tmp/oom.json /tmp/pod.json 2>/tmp/create.err) || { cat /tmp/create.err; fail create-oom; }
crictl start $oom > /dev/null 2>/tmp/start.err || { cat /tmp/start.err; fail start-oom; }
i=0; while [ $i -lt 480 ] && [ "$(crictl inspect -o go-template --template '{{.status.state}}' $oom)" != CONTAINER_EXITED ]; do sleep 0.5; i=$((i+1)); done
echo "oom-status $(crictl inspect -o go-template --template '{{.status.state}} {{.status.reason}} {{.status.exitCode}}' $oom)"
crictl rm $oom > /dev/null || fail rm-oom

# A daemon that dies hard finds its running container again: conmon kept it, the cgroup holds it.
kill -9 $berth; wait $berth 2>/dev/null
start_berth
echo "restarted-state $(crictl inspect -o go-template --template '{{.status.state}}' $ctr)"
echo "restarted-procs $(wc -l < $dir/cgroup.procs)"

crictl stop -t 0 $ctr > /dev/null || fail stop
crictl rm $ctr > /dev/null || fail rm
crictl stopp $pod > /dev/null || fail stopp
crictl rmp $pod > /dev/null || fail rmp
echo "container-cgroup-left $([ -d $dir ] && echo yes || echo no)"
echo "berth-errors $(grep -c '"level":50' /tmp/berth.log)"
kill $berth; wait $berth
echo "berth-exit $?"
`;
}
