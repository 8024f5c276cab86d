// A berth node joins a real kind cluster as a user would: the kind control plane's own kubeadm
// prints the join command (`kubeadm token create --print-join-command`), and `berth join` runs
// with exactly those arguments on berth's node image (systemd as PID 1, berth's runtime service,
// berth's kubelet: no kubeadm, no upstream kubelet), started beside the kind node on kind's
// docker network. The cluster then treats it as any node: its DaemonSets (kube-proxy, the node
// image's CNI agent) run there, a Deployment runs there, Services answer across the two nodes in
// both directions, and kubectl logs and exec reach its pods through the API server.
// Pods get 10.244.195.0/24, a /26 per node (this file's octet). Not in `npm test`: `npm run test:kind`.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/eventually.js';
import { type KindBerthNode, startKindBerthNode } from '../harness/kind-berth-node.js';
import { type KindCluster, startKindCluster, tearDownKindWorld } from '../harness/kind-cluster.js';
import type { TestDockerd } from '../harness/kind-docker.js';
import { seededOciLayout } from '../harness/tools.js';

const run = promisify(execFile);
const clusterName = 'berth-join';
const controlPlane = `${clusterName}-control-plane`;
const berthNodeName = `${clusterName}-berth`;
const image = 'berth.local/busybox:kind';

/** A busybox httpd answering "served by <pod name>" on 8080, after saying so on stdout. */
const webServer = ['sh', '-c', 'echo serving from $(hostname); mkdir -p /www; echo served by $(hostname) >/www/index.html; exec httpd -f -p 8080 -h /www'];

function manifests(): object[] {
  const labels = (app: string): Record<string, string> => ({ app });
  const service = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: labels(name), ports: [{ port: 80, targetPort: 8080 }] } });
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels('web') },
        template: {
          metadata: { labels: labels('web') },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': berthNodeName },
            containers: [{ name: 'web', image, imagePullPolicy: 'Never', command: webServer, ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 } } }],
          },
        },
      },
    },
    service('web'),
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'cp-web', labels: labels('cp-web') },
      spec: {
        nodeName: controlPlane,
        tolerations: [{ operator: 'Exists' }],
        containers: [{ name: 'web', image, imagePullPolicy: 'IfNotPresent', command: webServer }],
      },
    },
    service('cp-web'),
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client' },
      spec: { nodeName: berthNodeName, containers: [{ name: 'client', image, imagePullPolicy: 'Never', command: ['sleep', '3600'] }] },
    },
  ];
}

describe('berth join into a real kind cluster (berth kubelet and runtime, the command kubeadm prints)', () => {
  let dir: string | undefined;
  let dockerd: TestDockerd | undefined;
  let cluster: KindCluster | undefined;
  let node: KindBerthNode | undefined;
  let kubeadmNode: KindBerthNode | undefined;
  let joinArgs: string[] = [];
  let joinedAt = 0;

  const kubectl = (...args: string[]): Promise<string> => cluster!.kubectl(...args);
  /** What the control plane's kubeadm prints for a new node: `kubeadm join HOST:PORT --token ... --discovery-token-ca-cert-hash ...`. */
  const printJoinCommand = async (): Promise<string[]> => {
    const printed = (await dockerd!.docker(['exec', controlPlane, 'kubeadm', 'token', 'create', '--print-join-command'])).trim().split(/\s+/);
    if (printed[0] !== 'kubeadm' || printed[1] !== 'join') throw new Error(`kubeadm printed ${printed.join(' ')}, not a join command`);
    return printed;
  };
  /** The body a pod gets for GET / from host:80, through busybox nc (this busybox-static's wget crashes: exit 139). */
  const httpGet = async (pod: string, host: string): Promise<string | undefined> => {
    const response = await kubectl('exec', pod, '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${host} 80`);
    return /^HTTP\/1\.[01] 200/.test(response) ? response.split('\r\n\r\n')[1]?.trim() : undefined;
  };
  const podsOn = async (nodeName: string, namespace: string[]): Promise<{ name: string; phase: string; ip: string }[]> => {
    const out = await kubectl(
      'get',
      'pods',
      ...namespace,
      '--field-selector',
      `spec.nodeName=${nodeName}`,
      '-o',
      'jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.status.podIP}{"\\n"}{end}',
    );
    return out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name = '', phase = '', ip = ''] = line.split(' ');
        return { name, phase, ip };
      });
  };

  let berthImage = '';

  beforeAll(async () => {
    let images: { berth?: string | undefined } = {};
    ({ dir, dockerd, cluster, images } = await startKindCluster({
      flavors: ['kind', 'berth'],
      name: clusterName,
      nodes: () => [{ role: 'control-plane' }],
      shape: {
        podSubnet: '10.244.195.0/24',
        patches: [
          'kind: ClusterConfiguration\ncontrollerManager:\n  extraArgs:\n  - name: node-cidr-mask-size\n    value: "26"\n',
          // Published in kube-system/kubelet-config, which berth join reads as kubeadm's kubelets do.
          'kind: KubeletConfiguration\nserverTLSBootstrap: true\n',
        ],
      },
    }));

    berthImage = images.berth ?? '';
    const started = Date.now();
    // kubeadm's KubeletConfiguration (published in kube-system/kubelet-config, which berth join
    // takes) says cgroupDriver: systemd, as on every kind node: the runtime runs the same driver.
    node = await startKindBerthNode({ dockerd: dockerd!, name: berthNodeName, image: berthImage, runtimeCgroupDriver: 'systemd' });
    // The image's upstream kubelet.service stays off: it starts only once kubeadm wrote
    // /var/lib/kubelet/config.yaml (kind's ConditionPathExists), and this node's kubelet is berth's.
    await node.exec('systemctl', 'start', 'berth-preload-images.service');
    console.info(`berth join test: berth node container up (systemd running, images preloaded into berth) in ${Date.now() - started} ms`);

    // The test image, on both nodes: kind's loader for the control plane, berth load for berth.
    const archive = join(dir!, 'busybox.tar');
    await run('skopeo', ['copy', '-q', `oci:${seededOciLayout()}:busybox`, `docker-archive:${archive}:${image}`]);
    await cluster.kind('load', 'image-archive', archive, '--name', clusterName);
    // Not /tmp: a tmpfs is mounted there, over what docker cp writes into the container's layer.
    await dockerd!.docker(['cp', archive, `${berthNodeName}:/kind/busybox.tar`]);
    await node.berth('load', '--quiet', '--input', '/kind/busybox.tar');

    joinArgs = (await printJoinCommand()).slice(2);
    joinedAt = Date.now();
    // kubeadm's --cri-socket: the node image's berth runtime service, which holds the preloaded images.
    await node.join([...joinArgs, '--cri-socket', 'unix:///run/berth/berth.sock']);
  });

  afterAll(async () => {
    const logDir = process.env['BERTH_KIND_LOG_DIR'];
    if (logDir && node) {
      for (const unit of ['berth-join', 'berth-runtime']) writeFileSync(join(logDir, `${berthNodeName}-${unit}.log`), await node.journal(unit));
    }
    for (const each of [node, kubeadmNode]) await each?.remove().catch((error: unknown) => console.error(`removing ${each.name}: ${String(error)}`));
    await tearDownKindWorld({ cluster, dockerd, dir });
  });

  it("becomes a Ready Node run by berth's kubelet on berth's runtime, its client certificate issued through an approved CSR", async () => {
    const info = await eventually(async () => {
      const out = await kubectl(
        'get',
        'node',
        berthNodeName,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion} {.status.addresses[?(@.type=="InternalIP")].address}',
      );
      const [ready, kubelet, runtime, ip] = out.split(' ');
      return ready === 'True' ? { kubelet, runtime, ip } : undefined;
    }, 1_000);
    console.info(`berth join test: berth join to Node Ready took ${Date.now() - joinedAt} ms`);
    expect(info.kubelet).toMatch(/-berth$/);
    expect(info.runtime).toMatch(/^berth:\/\//);
    expect(info.ip).toBe(node!.ip);
    const tokenId = (joinArgs[joinArgs.indexOf('--token') + 1] ?? '').split('.')[0];
    const csrs = JSON.parse(await kubectl('get', 'csr', '-o', 'json')) as {
      items: { spec: { username: string; signerName: string }; status: { certificate?: string; conditions?: { type: string }[] } }[];
    };
    const ours = csrs.items.filter((csr) => csr.spec.username === `system:bootstrap:${tokenId}`);
    expect(ours.map((csr) => [csr.spec.signerName, csr.status.conditions?.map((c) => c.type), Boolean(csr.status.certificate)])).toEqual([
      ['kubernetes.io/kube-apiserver-client-kubelet', ['Approved'], true],
    ]);
  });

  it('serves its kubelet API with the certificate the cluster issued on its kubelet-serving CSR, once an administrator approved it', async () => {
    // As an administrator of a serverTLSBootstrap cluster does: approve the nodes' serving CSRs.
    const pending = await eventually(async () => {
      const csrs = JSON.parse(await kubectl('get', 'csr', '-o', 'json')) as {
        items: { metadata: { name: string }; spec: { username: string; signerName: string }; status: { conditions?: unknown[] } }[];
      };
      const serving = csrs.items.filter((csr) => csr.spec.signerName === 'kubernetes.io/kubelet-serving' && !csr.status.conditions);
      return serving.some((csr) => csr.spec.username === `system:node:${berthNodeName}`) ? serving : undefined;
    }, 1_000);
    await kubectl('certificate', 'approve', ...pending.map((csr) => csr.metadata.name));
    const ca = Buffer.from((await kubectl('config', 'view', '--raw', '-o', 'jsonpath={.clusters[0].cluster.certificate-authority-data}')).trim(), 'base64');
    // Verified against the cluster CA and the node's IP (Node's default identity check), from this host.
    const served = await eventually(
      () =>
        new Promise<{ subject: string; san: string } | undefined>((resolve) => {
          const socket = connect({ host: node!.ip, port: 10250, ca }, () => {
            const peer = socket.getPeerCertificate();
            socket.end();
            resolve({ subject: `O=${String(peer.subject.O)}, CN=${String(peer.subject.CN)}`, san: peer.subjectaltname ?? '' });
          });
          socket.on('error', () => resolve(undefined));
        }),
      2_000,
    );
    expect(served.subject).toBe(`O=system:nodes, CN=system:node:${berthNodeName}`);
    expect(served.san).toBe(`DNS:${berthNodeName}, IP Address:${node!.ip}`);
  });

  it("runs the cluster's kube-proxy and CNI agent there: kube-proxy programs the Services, pods get the node's podCIDR", async () => {
    const daemons = await eventually(async () => {
      const pods = (await podsOn(berthNodeName, ['-n', 'kube-system'])).filter((pod) => /^(kube-proxy|berth-kind-bridge)-/.test(pod.name));
      return pods.length === 2 && pods.every((pod) => pod.phase === 'Running') ? pods.map((pod) => pod.name.replace(/-[a-z0-9]+$/, '')).sort() : undefined;
    }, 1_000);
    expect(daemons).toEqual(['berth-kind-bridge', 'kube-proxy']);
    const clusterIp = (await kubectl('get', 'service', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    const rules = await eventually(async () => {
      const out = await node!.exec('iptables', '-t', 'nat', '-S', 'KUBE-SERVICES');
      return out.includes(`${clusterIp}/32`) ? out : undefined;
    }, 1_000);
    expect(rules).toContain('default/kubernetes:https');
  });

  it('runs a Deployment on the berth node, its pods in the podCIDR the CNI agent configured', async () => {
    const file = join(dir!, 'workloads.yaml');
    writeFileSync(
      file,
      manifests()
        .map((doc) => JSON.stringify(doc))
        .join('\n---\n'),
    );
    await kubectl('apply', '-f', file);
    const available = await eventually(async () => {
      const count = await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.status.availableReplicas}');
      return count === '2' ? count : undefined;
    }, 1_000);
    expect(available).toBe('2');
    const podCidr = (await kubectl('get', 'node', berthNodeName, '-o', 'jsonpath={.spec.podCIDR}')).trim();
    const prefix = podCidr.split('.').slice(0, 3).join('.');
    const web = (await podsOn(berthNodeName, [])).filter((pod) => pod.name.startsWith('web-'));
    expect(web).toHaveLength(2);
    for (const pod of web) expect(pod.ip.startsWith(`${prefix}.`)).toBe(true);
  });

  it('answers ClusterIP Services by name across the nodes: from berth to the control plane and back', async () => {
    const running = async (pod: string): Promise<true | undefined> => ((await kubectl('get', 'pod', pod, '-o', 'jsonpath={.status.phase}')) === 'Running' ? true : undefined);
    await eventually(() => running('client'), 1_000);
    await eventually(() => running('cp-web'), 1_000);
    // From a pod on berth: CoreDNS (on the control plane) through the berth node's kube-proxy rules.
    const fromBerth = await eventually(() => httpGet('client', 'cp-web.default.svc.cluster.local'), 2_000);
    expect(fromBerth).toBe('served by cp-web');
    const fromControlPlane = await eventually(() => httpGet('cp-web', 'web.default.svc.cluster.local'), 2_000);
    expect(fromControlPlane).toMatch(/^served by web-[a-z0-9]+-[a-z0-9]+$/);
  });

  it("runs a pod with limits in systemd slices (kubeadm's cgroupDriver: systemd): the limits in the slice's and the scope's cgroup files, the slices gone with the pod", async () => {
    const limits = { cpu: '500m', memory: '64Mi' };
    const file = join(dir!, 'limited.yaml');
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'limited' },
      spec: {
        nodeName: berthNodeName,
        containers: [{ name: 'main', image, imagePullPolicy: 'Never', command: ['sleep', '3600'], resources: { requests: { cpu: '250m', memory: '32Mi' }, limits } }],
      },
    };
    writeFileSync(file, JSON.stringify(pod));
    await kubectl('apply', '-f', file);
    const running = await eventually(async () => {
      const out = await kubectl('get', 'pod', 'limited', '-o', 'jsonpath={.status.phase} {.metadata.uid} {.status.containerStatuses[0].containerID}');
      const [phase, uid = '', containerId = ''] = out.split(' ');
      return phase === 'Running' ? { uid, containerId: containerId.replace(/^berth:\/\//, '') } : undefined;
    }, 1_000);
    // The kubelet's names (a "-" in the uid is "_" in a slice name), from each hierarchy's root.
    const slice = `kubepods-burstable-pod${running.uid.replaceAll('-', '_')}.slice`;
    const sliceDir = `kubepods.slice/kubepods-burstable.slice/${slice}`;
    const scopeDir = `${sliceDir}/cri-berth-${running.containerId}.scope`;
    const read = async (path: string): Promise<string> => (await node!.exec('cat', `/sys/fs/cgroup/${path}`)).trim();
    for (const unit of ['kubepods.slice', 'kubepods-burstable.slice', slice]) expect(await node!.exec('systemctl', 'show', '--property=ActiveState', '--value', unit)).toBe('active\n');
    // The pod's limits, set by the kubelet and the runtime as unit properties: systemd wrote them.
    expect(await node!.exec('systemctl', 'show', '--property=MemoryLimit', '--value', slice)).toBe('67108864\n');
    expect(await read(`memory/${sliceDir}/memory.limit_in_bytes`)).toBe('67108864');
    expect(await read(`cpu/${sliceDir}/cpu.cfs_quota_us`)).toBe('50000');
    expect(await read(`cpu/${sliceDir}/cpu.shares`)).toBe('256');
    // The container: the scope runc made through systemd (--systemd-cgroup) in the pod's slice.
    expect(await read(`memory/${scopeDir}/memory.limit_in_bytes`)).toBe('67108864');
    expect(await read(`cpu/${scopeDir}/cpu.cfs_quota_us`)).toBe('50000');
    expect(await read(`cpu/${scopeDir}/cpu.shares`)).toBe('256');
    const procs = (await read(`memory/${scopeDir}/cgroup.procs`)).split('\n').filter(Boolean);
    expect(procs.length).toBeGreaterThan(0);
    expect(await node!.exec('cat', `/proc/${procs[0]}/comm`)).toBe('sleep\n');
    // berth's own readers find the container's cgroup where systemd put it: the stats API reports its memory.
    const stats = await eventually(async () => {
      const out = await kubectl('get', '--raw', `/api/v1/nodes/${berthNodeName}/proxy/stats/summary`);
      const summary = JSON.parse(out) as { pods: { podRef: { name: string }; containers?: { name: string; memory?: { workingSetBytes?: number } }[] }[] };
      const bytes = summary.pods.find((p) => p.podRef.name === 'limited')?.containers?.find((c) => c.name === 'main')?.memory?.workingSetBytes;
      return bytes !== undefined && bytes > 0 ? bytes : undefined;
    }, 1_000);
    expect(stats).toBeGreaterThan(0);
    // A live update (CRI UpdateContainerResources, through the node's crictl) reaches the scope,
    // in systemd's properties and in the files.
    await node!.exec('crictl', '--timeout=30s', 'update', '--memory', String(48 << 20), '--cpu-quota', '30000', running.containerId);
    expect(await node!.exec('systemctl', 'show', '--property=MemoryLimit', '--value', `cri-berth-${running.containerId}.scope`)).toBe(`${48 << 20}\n`);
    expect(await read(`memory/${scopeDir}/memory.limit_in_bytes`)).toBe(String(48 << 20));
    expect(await read(`cpu/${scopeDir}/cpu.cfs_quota_us`)).toBe('30000');

    await kubectl('delete', 'pod', 'limited', '--wait=true');
    // Gone in systemd and in every hierarchy once the kubelet cleaned the pod up.
    const left = await eventually(async () => {
      const units = await node!.exec('sh', '-c', `systemctl list-units --all --no-legend --plain '${slice}' 'cri-berth-${running.containerId}.scope' | cat`);
      const dirs = await node!.exec('sh', '-c', `ls -d /sys/fs/cgroup/*/${sliceDir} 2>/dev/null || true`);
      return units.trim() === '' && dirs.trim() === '' ? { units, dirs } : undefined;
    }, 1_000);
    expect(left).toEqual({ units: '', dirs: '' });
  });

  it("refuses to start a kubelet whose cgroupDriver differs from the runtime's, naming both", async () => {
    // Standalone (no kubeconfig) on the node's systemd runtime, told to use cgroupfs.
    const refused = await node!
      .exec(
        '/usr/local/bin/node',
        '/opt/berth/bin/berth.js',
        'node',
        '--container-runtime-endpoint',
        'unix:///run/berth/berth.sock',
        '--cgroup-driver',
        'cgroupfs',
        '--root-dir',
        '/tmp/mismatch',
        '--pod-manifest-path',
        '/tmp/mismatch/manifests',
        '--port',
        '0',
        '--device-plugin-dir',
        '',
      )
      .then(
        (out) => `started: ${out}`,
        (error: Error) => error.message,
      );
    expect(refused).toContain('cgroup driver mismatch: the kubelet is configured with cgroupDriver cgroupfs, but the container runtime on unix:///run/berth/berth.sock uses the systemd driver');
  });

  it("serves kubectl logs and exec for its pods through the API server and berth's kubelet API", async () => {
    const [pod] = (await podsOn(berthNodeName, [])).filter((p) => p.name.startsWith('web-'));
    expect((await kubectl('logs', pod!.name)).trim()).toBe(`serving from ${pod!.name}`);
    expect((await kubectl('exec', pod!.name, '--', 'cat', '/etc/berth-image')).trim()).toBe("hello from berth's busybox image");
  });

  it("joins a second berth node through the real kubeadm join, with berth node as its kubelet on kubeadm's files and flags", async () => {
    const name = `${clusterName}-kubeadm`;
    kubeadmNode = await startKindBerthNode({ dockerd: dockerd!, name, image: berthImage, runtimeCgroupDriver: 'systemd' });
    // What a user does to make berth the node's kubelet: kubelet.service runs berth node with the
    // kubelet's own kubeadm arguments (kubeadm's 10-kubeadm.conf sets them); berth reads
    // kubeadm-flags.env beside --config itself.
    await kubeadmNode.exec(
      'sh',
      '-c',
      "printf '%s\\n' '[Service]' 'ExecStart=' 'ExecStart=/usr/local/bin/node /opt/berth/bin/berth.js node $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS' >/etc/systemd/system/kubelet.service.d/20-berth.conf && systemctl daemon-reload",
    );
    await kubeadmNode.exec('systemctl', 'start', 'berth-preload-images.service');
    const printed = await printJoinCommand();
    const started = Date.now();
    // Preflight errors ignored as kind ignores them for its own nodes (this host's cgroup v1 and kernel config checks).
    await kubeadmNode.exec(...printed, '--cri-socket', 'unix:///run/berth/berth.sock', '--ignore-preflight-errors=all').catch(async (error: Error) => {
      throw new Error(`kubeadm join failed: ${error.message}\n--- kubelet.service (berth node):\n${await kubeadmNode!.journal('kubelet')}`);
    });
    console.info(`berth join test: kubeadm join with berth node as the kubelet took ${Date.now() - started} ms`);
    const info = await eventually(async () => {
      const out = await kubectl('get', 'node', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion}');
      const [ready, kubelet, runtime] = out.split(' ');
      return ready === 'True' ? { kubelet, runtime } : undefined;
    }, 1_000);
    expect(info.kubelet).toMatch(/-berth$/);
    expect(info.runtime).toMatch(/^berth:\/\//);
    expect(await kubeadmNode.exec('curl', '-sS', 'http://127.0.0.1:10248/healthz')).toBe('ok');
    // The kubeconfig kubeadm waited for, written by berth's TLS bootstrap, names its client certificate.
    expect(await kubeadmNode.exec('grep', '-c', 'kubelet-client-current.pem', '/etc/kubernetes/kubelet.conf')).toMatch(/^[1-9]/);
    // kubeadm's config.yaml asks for cgroupDriver: systemd, and the cluster's DaemonSet pods run in
    // its slices, below kind's cgroupRoot /kubelet (berth reads cgroupRoot as the pods' cgroup: kubelet.slice).
    expect(await kubeadmNode.exec('grep', '-x', 'cgroupDriver: systemd', '/var/lib/kubelet/config.yaml')).toBe('cgroupDriver: systemd\n');
    const podSlices = await eventually(async () => {
      const out = await kubeadmNode!.exec('sh', '-c', "systemctl list-units --state=active --no-legend --plain 'kubelet-besteffort-pod*.slice' | cat");
      return out.trim() === '' ? undefined : out;
    }, 1_000);
    expect(podSlices).toMatch(/^kubelet-besteffort-pod[0-9a-f_]+\.slice /m);
  });
});
