// The bash the v2 node guest runs for berth's kubelet: `berth node` standalone (its own runtime
// in-process, no cgroup flags) with three static pods, one per QoS class, on a CNI bridge inside
// the guest. It prints the QoS tier and pod cgroups the kubelet made on the pure v2 hierarchy, the
// pods' IPs, and what the read-only port serves from the v2 counters (/stats/summary,
// /metrics/cadvisor), each fact as "key value" or between "=== label file" / "=== end" markers.
import { payloadDir } from '../harness/v2-node-guest.js';

const endpoint = 'unix:///run/berth/berth.sock';
const image = 'guest.local/busybox:1';
export const readOnlyPort = 10255;
/** What the node keeps from the pods: the kubepods cgroup is held to capacity minus these. */
export const kubeReserved = { cpu: '500m', memory: '256Mi' };

/** The static pods, one per QoS class; `io` writes through to the disk so io.stat has a figure. */
export const qosPods = {
  guaranteed: { requests: { cpu: '200m', memory: '48Mi' }, limits: { cpu: '200m', memory: '48Mi' } },
  burstable: { requests: { cpu: '300m', memory: '16Mi' }, limits: { memory: '64Mi' } },
  besteffort: undefined,
} as const;

function manifest(name: string, resources: object | undefined): string {
  const command = ['sh', '-c', 'dd if=/dev/zero of=/written bs=1M count=4 conv=fsync; while :; do i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 1; done'];
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'v2' },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image, imagePullPolicy: 'Never', command, ...(resources ? { resources } : {}) }],
    },
  });
}

export function kubeletScript(runtime?: 'runc' | 'crun'): string {
  const conflist = {
    cniVersion: '1.0.0',
    name: 'berth-v2-kubelet',
    plugins: [
      {
        type: 'bridge',
        bridge: 'berthv2k0',
        isGateway: true,
        ipMasq: false,
        ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.199.0/24' }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
    ],
  };
  const names = Object.keys(qosPods);
  return `
set -u
crictl() { ${payloadDir}/bin/crictl --runtime-endpoint ${endpoint} --image-endpoint ${endpoint} --timeout 120s "$@"; }
fail() { echo "step-failed $1"; echo "=== berth-log"; tail -n 80 /tmp/berth.log; echo "=== end"; exit 1; }
dump() { echo "=== $1 $2"; cat "$3/$2"; echo "=== end"; }
mkdir -p /etc/cni/net.d /etc/kubernetes/manifests
cat > /etc/cni/net.d/10-berth-v2-kubelet.conflist <<'JSON'
${JSON.stringify(conflist)}
JSON
berth node ${runtime ? `--runtime ${runtime}` : ''} --pod-manifest-path /etc/kubernetes/manifests --read-only-port ${readOnlyPort} \\
  --kube-reserved cpu=${kubeReserved.cpu},memory=${kubeReserved.memory} --metrics-address '' > /tmp/berth.log 2>&1 &
berth=$!
i=0; while ! crictl version > /dev/null 2>&1 && kill -0 $berth 2>/dev/null && [ $i -lt 480 ]; do sleep 0.5; i=$((i+1)); done
crictl version > /dev/null 2>&1 || fail node-start
echo "selected $(grep -o '"runtime":"[a-z]*"' /tmp/berth.log | head -n 1)"
berth import --runtime-endpoint ${endpoint} ${payloadDir}/busybox-rootfs.tar ${image} > /tmp/import.out 2>&1 || { cat /tmp/import.out; fail import; }
${names.map((name) => `cat > /etc/kubernetes/manifests/${name}.json <<'JSON'\n${manifest(name, qosPods[name as keyof typeof qosPods])}\nJSON`).join('\n')}

running() { crictl ps --state running --name main -q | wc -l; }
i=0; while [ "$(running)" -lt ${names.length} ] && [ $i -lt 600 ]; do sleep 1; i=$((i+1)); done
echo "running $(running)"
[ "$(running)" -eq ${names.length} ] || fail pods-running
# Each container has written and synced its file and spun a while: io.stat and cpu.stat have figures.
sleep 8

echo "machine $(nproc) $(awk '/MemTotal/ {print $2 * 1024}' /proc/meminfo)"
echo "kubepods-subtree $(cat /sys/fs/cgroup/kubepods/cgroup.subtree_control)"
for tier in kubepods kubepods/burstable kubepods/besteffort; do
  for file in cpu.weight memory.max; do dump $tier $file /sys/fs/cgroup/$tier; done
done
for name in ${names.join(' ')}; do
  pod=$(crictl pods --name $name --state ready -q | head -n 1)
  uid=$(crictl inspectp -o go-template --template '{{.status.metadata.uid}}' $pod)
  dir=$(find /sys/fs/cgroup/kubepods -maxdepth 2 -type d -name "pod$uid" | head -n 1)
  echo "pod-cgroup-$name \${dir#/sys/fs/cgroup}"
  echo "pod-ip-$name $(crictl inspectp -o go-template --template '{{.status.network.ip}}' $pod)"
  for file in cpu.max cpu.weight memory.max; do dump pod-$name $file $dir; done
done
for path in stats/summary metrics/cadvisor; do
  echo "=== read-only $path"
  node -e 'fetch(process.argv[1]).then(async (r) => { if (!r.ok) throw new Error(String(r.status)); process.stdout.write(await r.text()); }).catch((e) => { console.log("fetch-failed " + e); process.exit(1); })' http://127.0.0.1:${readOnlyPort}/$path
  echo; echo "=== end"
done
echo "psi-present $([ -f /sys/fs/cgroup/kubepods/cpu.pressure ] && echo yes || echo no)"
echo "berth-errors $(grep -c '"level":50' /tmp/berth.log)"
kill $berth; wait $berth
echo "berth-exit $?"
`;
}
