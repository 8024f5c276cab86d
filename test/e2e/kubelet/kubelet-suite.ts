// The kubelet e2e suite, run once per CRI runtime: berth's kubelet against the real cluster
// fixture (etcd, kube-apiserver with Node authorization and NodeRestriction, controller-manager,
// scheduler), driving a real runtime through its CRI socket with the real CNI bridge plugin and
// the seeded registry. The kubelet runs in the test process; everything is observed with the
// real kubectl and through the CRI.
import { execa } from 'execa';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ownMemoryCgroup, removeCgroupPath } from '../../../bench/cgroups.js';
import { createLogger } from '../../../common/logger.js';
import { CriClient } from '../../../cri/client/cri-client.js';
import { kubeletConfig, type KubeletConfig } from '../../../kubelet/config.js';
import { startKubelet, type Kubelet } from '../../../kubelet/kubelet.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { startRegistry, type Registry } from '../../harness/registry.js';
import { clusterPkiDir, goTool } from '../../harness/tools.js';
import { packageRoot } from '../../../common/package-root.js';
import type { SuiteRuntime, SuiteRuntimeKind } from '../../integration/kubelet/suite-runtimes.js';
import { nodeKubeconfig } from '../../harness/node-credentials.js';
import { kubectlAttachUntil, kubectlExec, kubectlPortForward } from '../../harness/kubectl-streams.js';
import { eventually as poll } from '../../harness/eventually.js';
import { podLogOverWebSocket } from '../../harness/pod-log-websocket.js';
import { defaultDevicePluginDir } from '../../../kubelet/devices/plugin-api.js';

const namespace = 'default';

async function kubectl(...args: string[]): Promise<string> {
  const adminKubeconfig = inject('adminKubeconfig');
  return (await execa(goTool('kubectl'), ['--kubeconfig', adminKubeconfig, ...args], { timeout: 120_000 })).stdout;
}

async function kubectlJson<T>(...args: string[]): Promise<T> {
  return JSON.parse(await kubectl(...args, '-o', 'json')) as T;
}

const eventually = <T>(probe: () => Promise<T | undefined>, intervalMs = 500): Promise<T> => poll(probe, intervalMs);

function mountsUnder(dir: string): string[] {
  if (!dir) return [];
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((mountPoint) => mountPoint.startsWith(`${dir}/`));
}

interface NodeJson {
  metadata: { uid: string };
  status: {
    capacity: Record<string, string>;
    allocatable: Record<string, string>;
    conditions: { type: string; status: string }[];
    addresses: { type: string; address: string }[];
    nodeInfo: Record<string, string>;
  };
}

interface PodJson {
  metadata: { uid: string; name: string; annotations?: Record<string, string> };
  status: { phase?: string; podIP?: string; hostIP?: string; containerStatuses?: { name: string; containerID?: string; ready: boolean }[] };
}

/** `cniOctet`: distinct per file, 200-209: the CNI test network's 10.244.<octet>.0/24. */
export function kubeletSuite(runtime: SuiteRuntimeKind, cniOctet: number): void {
  describe(`berth kubelet driving ${runtime.name} (e2e)`, () => {
    const nodeName = `berth-e2e-${runtime.name}-${process.pid}`;
    const since = Date.now();
    const cgroupParent = `${ownMemoryCgroup()}/berth-kubelet-e2e-${runtime.name}`;
    let work = '';
    let registry: Registry | undefined;
    let network: CniTestNetwork | undefined;
    let criRuntime: SuiteRuntime | undefined;
    let cri: CriClient | undefined;
    let kubelet: Kubelet | undefined;
    let config: KubeletConfig | undefined;

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'berth-kubelet-e2e-'));
      registry = await startRegistry();
      network = cniTestNetwork(`kubelet-${runtime.name}`, cniOctet);
      criRuntime = await runtime.start({ registryHost: registry.host, cniConfDir: network.confDir, workDir: work });
      cri = new CriClient({ endpoint: criRuntime.endpoint });
      const manifests = join(work, 'manifests');
      mkdirSync(manifests);
      writeFileSync(
        join(manifests, 'static-sleeper.yaml'),
        [
          'apiVersion: v1',
          'kind: Pod',
          'metadata:',
          '  name: static-sleeper',
          '  labels: { app: static-sleeper }',
          'spec:',
          '  terminationGracePeriodSeconds: 1',
          '  containers:',
          '    - name: sleeper',
          `      image: ${registry.host}/busybox:latest`,
          '      command: ["sleep", "3600"]',
          '',
        ].join('\n'),
      );
      config = kubeletConfig({
        nodeName,
        nodeIp: '127.0.0.1',
        kubeconfigPath: await nodeKubeconfig(work, nodeName, inject('apiServer')),
        podManifestPath: manifests,
        runtimeEndpoint: criRuntime.endpoint,
        rootDir: work,
        podLogsDir: join(work, 'pods'),
        cgroupParent,
        kubeletVersion: 'v0.1.0-berth',
        // Fast enough that a configMap update shows within seconds.
        timings: { volumeRefreshMs: 1_000, podResyncMs: 2_000 },
        serverAddress: '127.0.0.1:0',
        clientCaFile: join(clusterPkiDir(), 'ca.crt'),
        // The well-known directory: device plugins dial its kubelet.sock (the e2e files run one by one).
        devicePluginDir: defaultDevicePluginDir,
      });
      // The kubelet API asks the API server about its callers (TokenReview, SubjectAccessReview).
      await kubectl('apply', '-f', join(packageRoot(), 'manifests/rbac/berth-node.yaml'));
      kubelet = await startKubelet(config, { logger: createLogger((process.env['BERTH_E2E_LOG'] as 'info' | undefined) ?? 'warn') });
      // The controller-manager makes the namespace's default ServiceAccount shortly after the
      // cluster starts; pods are refused until it exists (so a single test can run alone).
      await eventually(() => kubectl('get', 'serviceaccount', '-n', namespace, 'default'));
    });

    afterAll(async () => {
      await kubelet?.stop();
      await kubectl('delete', 'pods', '--all-namespaces', '--field-selector', `spec.nodeName=${nodeName}`, '--force', '--grace-period=0').catch(() => '');
      await kubectl('delete', 'node', nodeName, '--ignore-not-found').catch(() => '');
      await kubectl('delete', 'lease', '-n', 'kube-node-lease', nodeName, '--ignore-not-found').catch(() => '');
      // The kubelet leaves pods running when it stops (so a restart adopts them): remove them here.
      if (cri) {
        for (const sandbox of (await cri.listPodSandbox().catch(() => ({ items: [] }))).items) {
          await cri.stopPodSandbox(sandbox.id).catch(() => undefined);
          await cri.removePodSandbox(sandbox.id).catch(() => undefined);
        }
        cri.close();
      }
      await criRuntime?.stop();
      await network?.remove();
      removeCgroupPath(cgroupParent, since);
      // berth's runtime anchors the same parent below its own cgroup in the memory hierarchy.
      removeCgroupPath(`${ownMemoryCgroup()}${cgroupParent}`, since);
      await registry?.stop();
      // A failed test can leave a pod's memory-backed emptyDir mounted under the work dir.
      for (const mountPoint of mountsUnder(work).reverse()) await execa('umount', ['-l', mountPoint], { reject: false });
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('registers its Node, which becomes Ready with the capacity of this machine', async () => {
      const node = await eventually(async () => {
        const n = await kubectlJson<NodeJson>('get', 'node', nodeName);
        return n.status.conditions.find((c) => c.type === 'Ready')?.status === 'True' ? n : undefined;
      });
      expect(node.status.capacity['cpu']).toBe(String(cpus().length));
      expect(node.status.capacity['pods']).toBe('110');
      expect(node.status.capacity['memory']).toMatch(/^[1-9]\d*Ki$/);
      expect(node.status.capacity['ephemeral-storage']).toMatch(/^[1-9]\d*Ki$/);
      expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
      expect(node.status.nodeInfo['containerRuntimeVersion']).toMatch(new RegExp(`^${runtime.name}://\\d`));
      expect(node.status.nodeInfo['bootID']).not.toBe('');
      expect(node.status.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(expect.arrayContaining(['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=True']));
    });

    it('renews its Lease in kube-node-lease, owned by its Node', async () => {
      interface LeaseJson {
        metadata: { ownerReferences?: { kind: string; name: string; uid: string }[] };
        spec: { renewTime: string; leaseDurationSeconds: number; holderIdentity: string };
      }
      const first = await eventually(() => kubectlJson<LeaseJson>('get', 'lease', '-n', 'kube-node-lease', nodeName));
      const node = await kubectlJson<NodeJson>('get', 'node', nodeName);
      expect(first.spec.leaseDurationSeconds).toBe(40);
      expect(first.spec.holderIdentity).toBe(nodeName);
      expect(first.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Node', name: nodeName, uid: node.metadata.uid })]);
      const renewed = await eventually(async () => {
        const lease = await kubectlJson<LeaseJson>('get', 'lease', '-n', 'kube-node-lease', nodeName);
        return lease.spec.renewTime !== first.spec.renewTime ? lease : undefined;
      }, 1_000);
      expect(Date.parse(renewed.spec.renewTime)).toBeGreaterThan(Date.parse(first.spec.renewTime));
    });

    it('runs a pod created with kubectl to Running with a pod IP, and kubectl delete removes it from the runtime', async () => {
      const name = `sleeper-${process.pid}`;
      const manifest = join(work, `${name}.json`);
      writeFileSync(
        manifest,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': nodeName },
            terminationGracePeriodSeconds: 2,
            containers: [{ name: 'main', image: `${registry?.host ?? ''}/busybox:latest`, command: ['sleep', '3600'] }],
          },
        }),
      );
      await kubectl('create', '-f', manifest);
      const running = await eventually(async () => {
        const pod = await kubectlJson<PodJson>('get', 'pod', '-n', namespace, name);
        return pod.status.phase === 'Running' && pod.status.podIP ? pod : undefined;
      });
      expect(running.status.podIP).toMatch(network?.ipPattern ?? /never/);
      expect(running.status.hostIP).toBe('127.0.0.1');
      expect(running.status.containerStatuses?.[0]).toMatchObject({ name: 'main', ready: true, containerID: expect.stringMatching(new RegExp(`^${runtime.name}://[0-9a-f]+$`)) });
      const selector = { labelSelector: { 'io.kubernetes.pod.uid': running.metadata.uid } };
      expect((await cri?.listContainers(selector))?.containers.map((c) => c.state)).toEqual(['CONTAINER_RUNNING']);

      await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
      await expect(kubectl('get', 'pod', '-n', namespace, name)).rejects.toThrow(/NotFound/);
      expect((await cri?.listContainers(selector))?.containers).toEqual([]);
      expect((await cri?.listPodSandbox(selector))?.items).toEqual([]);
    });

    async function createPod(name: string, spec: Record<string, unknown>, container: Record<string, unknown>): Promise<void> {
      const path = join(work, `${name}.json`);
      writeFileSync(
        path,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': nodeName },
            terminationGracePeriodSeconds: 1,
            ...spec,
            containers: [{ name: 'main', image: `${registry?.host ?? ''}/busybox:latest`, ...container }],
          },
        }),
      );
      await kubectl('create', '-f', path);
    }

    /** The pod as the API shows it once its phase is Running. */
    function runningPod(name: string): Promise<PodJson> {
      return eventually(async () => {
        const pod = await kubectlJson<PodJson>('get', 'pod', '-n', namespace, name);
        return pod.status.phase === 'Running' ? pod : undefined;
      });
    }

    /** The messages of the pod's container "main", from its CRI log file. */
    async function containerLog(podName: string): Promise<string> {
      const listed = await cri?.listContainers({ labelSelector: { 'io.kubernetes.pod.name': podName, 'io.kubernetes.container.name': 'main' } });
      const id = listed?.containers[0]?.id;
      if (!id) return '';
      const logPath = (await cri?.containerStatus(id))?.status?.logPath ?? '';
      // CRI log lines: "<time> <stream> <P|F> <message>"; P is a partial line the next one continues.
      let text = '';
      for (const line of readFileSync(logPath, 'utf8').split('\n')) {
        const [, , tag, ...message] = line.split(' ');
        if (tag === undefined) continue;
        text += message.join(' ') + (tag === 'P' ? '' : '\n');
      }
      return text;
    }

    it('shows a crash-looping container as CrashLoopBackOff with its restart count and last exit', async () => {
      const name = `crasher-${process.pid}`;
      await createPod(name, {}, { command: ['sh', '-c', 'exit 3'] });
      try {
        interface Crashing {
          restartCount: number;
          state: { waiting?: { reason: string } };
          lastState: { terminated?: { exitCode: number; reason: string } };
        }
        const status = await eventually(async () => {
          const pod = await kubectlJson<{ status: { containerStatuses?: Crashing[] } }>('get', 'pod', '-n', namespace, name);
          const container = pod.status.containerStatuses?.[0];
          return container?.state.waiting?.reason === 'CrashLoopBackOff' ? container : undefined;
        });
        expect(status.restartCount).toBeGreaterThanOrEqual(1);
        expect(status.lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
      } finally {
        await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
      }
    });

    it('backs off a crash-looping container with growing delays: at once, then 10 s, then 20 s', async () => {
      const name = `looper-${process.pid}`;
      await createPod(name, {}, { command: ['sh', '-c', 'exit 1'] });
      try {
        const selector = { labelSelector: { 'io.kubernetes.pod.name': name } };
        const created = await eventually(async () => {
          const listed = (await cri?.listContainers(selector))?.containers ?? [];
          return listed.length >= 4 ? listed : undefined;
        }, 1_000);
        const at = new Map(created.map((c) => [c.metadata?.attempt ?? -1, Number(BigInt(c.createdAt) / 1_000_000n)]));
        const gap = (attempt: number): number => ((at.get(attempt) ?? 0) - (at.get(attempt - 1) ?? 0)) / 1000;
        expect(gap(2)).toBeGreaterThanOrEqual(9);
        expect(gap(3)).toBeGreaterThanOrEqual(19);
        expect(gap(3)).toBeGreaterThan(gap(2));
        const waiting = await eventually(async () => {
          const pod = await kubectlJson<{ status: { containerStatuses?: { state: { waiting?: { reason: string; message?: string } } }[] } }>('get', 'pod', '-n', namespace, name);
          const state = pod.status.containerStatuses?.[0]?.state.waiting;
          return state?.message?.includes('back-off 40s') ? state : undefined;
        });
        expect(waiting.reason).toBe('CrashLoopBackOff');
      } finally {
        await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
      }
    });

    it('holds a pod not Ready until its readiness probe passes, through exec and HTTP probes', async () => {
      const name = `ready-${process.pid}`;
      // Ready only once the file exists (exec probe) and the web server answers (httpGet probe).
      await createPod(
        name,
        {},
        {
          command: ['sh', '-c', 'sleep 4; touch /tmp/ready; echo ok > /tmp/index.html; exec httpd -f -p 8080 -h /tmp'],
          readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1 },
          livenessProbe: { httpGet: { path: '/index.html', port: 'web' }, initialDelaySeconds: 8, periodSeconds: 2 },
          ports: [{ name: 'web', containerPort: 8080 }],
        },
      );
      try {
        interface Probed {
          status: { conditions?: { type: string; status: string }[]; containerStatuses?: { ready: boolean; restartCount: number; state: { running?: unknown } }[] };
        }
        const get = () => kubectlJson<Probed>('get', 'pod', '-n', namespace, name);
        const runningNotReady = await eventually(async () => {
          const pod = await get();
          return pod.status.containerStatuses?.[0]?.state.running ? pod : undefined;
        });
        expect(runningNotReady.status.containerStatuses?.[0]?.ready).toBe(false);
        expect(runningNotReady.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
        const ready = await eventually(async () => {
          const pod = await get();
          return pod.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? pod : undefined;
        });
        expect(ready.status.containerStatuses?.[0]?.ready).toBe(true);
        // The liveness probe keeps passing: no restart.
        await new Promise((resolve) => setTimeout(resolve, 6000));
        expect((await get()).status.containerStatuses?.[0]?.restartCount).toBe(0);
      } finally {
        await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
      }
    });

    it('restarts a container whose liveness probe fails', async () => {
      const name = `unlive-${process.pid}`;
      await createPod(name, {}, { command: ['sleep', '3600'], livenessProbe: { tcpSocket: { port: 9 }, periodSeconds: 1, failureThreshold: 2 } });
      try {
        const restarted = await eventually(async () => {
          const pod = await kubectlJson<{ status: { containerStatuses?: { restartCount: number; lastState: { terminated?: { exitCode: number } } }[] } }>('get', 'pod', '-n', namespace, name);
          const container = pod.status.containerStatuses?.[0];
          return container && container.restartCount >= 1 ? container : undefined;
        });
        expect(restarted.lastState.terminated?.exitCode).toBe(137);
      } finally {
        await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
      }
    });

    it('mounts emptyDir (on disk and in memory) and hostPath volumes, and applies the container limits', async () => {
      const name = `volumes-${process.pid}`;
      const hostDir = join(work, `host-${name}`);
      let uid = '';
      await createPod(
        name,
        {
          volumes: [
            { name: 'scratch', emptyDir: {} },
            { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
            { name: 'host', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } },
          ],
        },
        {
          command: [
            'sh',
            '-c',
            'echo from-the-pod > /host/out; echo kept > /scratch/file; grep " /cache " /proc/mounts; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; cat /scratch/file; sleep 3600',
          ],
          volumeMounts: [
            { name: 'scratch', mountPath: '/scratch' },
            { name: 'cache', mountPath: '/cache' },
            { name: 'host', mountPath: '/host' },
          ],
          resources: { limits: { memory: '48Mi', cpu: '250m' } },
        },
      );
      try {
        // The kubelet serves no HTTP API yet (so no `kubectl logs`): read the CRI log file.
        const logs = await eventually(async () => {
          const text = await containerLog(name);
          return text.includes('kept') ? text : undefined;
        });
        expect(logs).toMatch(/^tmpfs \/cache tmpfs .*size=16384k/m);
        expect(logs).toContain(String(48 * 1024 * 1024));
        expect(readFileSync(join(hostDir, 'out'), 'utf8')).toBe('from-the-pod\n');
        uid = (await kubectlJson<PodJson>('get', 'pod', '-n', namespace, name)).metadata.uid;
        expect(mountsUnder(join(work, 'pods', uid, 'volumes'))).toContainEqual(expect.stringMatching(/\/kubernetes\.io~empty-dir\/cache$/));
      } finally {
        await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
      }
      // Once the pod is gone its memory-backed volume is unmounted; the hostPath data stays.
      const podVolumes = join(work, 'pods', uid, 'volumes');
      const unmounted = await eventually(async () => (mountsUnder(podVolumes).length === 0 ? true : undefined));
      expect(unmounted).toBe(true);
      expect(readFileSync(join(hostDir, 'out'), 'utf8')).toBe('from-the-pod\n');
    });

    it('fills configMap, secret, downwardAPI and the service account volumes and env from the API, and a configMap update reaches the file', async () => {
      const name = `inputs-${process.pid}`;
      await kubectl('create', 'configmap', `settings-${name}`, '-n', namespace, '--from-literal=greeting=hello', '--from-literal=app.conf=v1');
      await kubectl('create', 'secret', 'generic', `creds-${name}`, '-n', namespace, '--from-literal=password=s3cret');
      const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
      await createPod(
        name,
        {
          volumes: [
            { name: 'cfg', configMap: { name: `settings-${name}` } },
            { name: 'sec', secret: { secretName: `creds-${name}`, defaultMode: 0o400 } },
            { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          ],
        },
        {
          command: [
            'sh',
            '-c',
            `echo "env $GREETING $PASSWORD $POD_NAME $CFG_greeting $KUBERNETES_SERVICE_HOST"; cat /cfg/app.conf /sec/password; echo; stat -Lc %a /sec/password; cat ${sa}/namespace; echo; echo kept; sleep 3600`,
          ],
          env: [
            { name: 'GREETING', valueFrom: { configMapKeyRef: { name: `settings-${name}`, key: 'greeting' } } },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: `creds-${name}`, key: 'password' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          envFrom: [{ configMapRef: { name: `settings-${name}` }, prefix: 'CFG_' }],
          volumeMounts: [
            { name: 'cfg', mountPath: '/cfg' },
            { name: 'sec', mountPath: '/sec' },
            { name: 'info', mountPath: '/info' },
          ],
        },
      );
      try {
        const logs = await eventually(async () => {
          const text = await containerLog(name);
          return text.includes('kept') ? text : undefined;
        });
        const apiServiceIp = JSON.parse(await kubectl('get', 'service', '-n', 'default', 'kubernetes', '-o', 'json')).spec.clusterIP as string;
        expect(logs).toContain(`env hello s3cret ${name} hello ${apiServiceIp}`);
        expect(logs).toMatch(/^v1s3cret$/m);
        expect(logs).toMatch(/^400$/m);
        expect(logs).toMatch(/^default$/m);

        const [container] = (await cri?.listContainers({ labelSelector: { 'io.kubernetes.pod.name': name } }))?.containers ?? [];
        const read = async (path: string): Promise<string> => Buffer.from((await cri!.execSync(container!.id, ['cat', path], 10)).stdout).toString('utf8');
        // The projected token is a real bound token: the API server accepts it as the pod's service account.
        const token = await read(`${sa}/token`);
        const caFile = join(work, `ca-${name}.crt`);
        writeFileSync(caFile, await read(`${sa}/ca.crt`));
        const who = await execa(goTool('kubectl'), ['--kubeconfig', '/dev/null', '--server', inject('apiServer'), '--certificate-authority', caFile, '--token', token, 'auth', 'whoami', '-o', 'json']);
        const user = (JSON.parse(who.stdout) as { status: { userInfo: { username: string; extra?: Record<string, string[]> } } }).status.userInfo;
        expect(user.username).toBe('system:serviceaccount:default:default');
        expect(user.extra?.['authentication.kubernetes.io/pod-name']).toEqual([name]);
        expect(await read('/info/labels')).toBe('');

        await kubectl('patch', 'configmap', `settings-${name}`, '-n', namespace, '--type=merge', '-p', JSON.stringify({ data: { 'app.conf': 'v2' } }));
        const updated = await eventually(async () => ((await read('/cfg/app.conf')) === 'v2' ? 'v2' : undefined));
        expect(updated).toBe('v2');
      } finally {
        await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
        await kubectl('delete', 'configmap', `settings-${name}`, '-n', namespace);
        await kubectl('delete', 'secret', `creds-${name}`, '-n', namespace);
      }
    });

    it('runs init containers in order before the app, postStart after its start, and preStop when kubectl deletes the pod', async () => {
      const name = `lifecycle-${process.pid}`;
      const hostDir = join(work, `host-${name}`);
      const image = `${registry?.host ?? ''}/busybox:latest`;
      const volumeMounts = [{ name: 'host', mountPath: '/host' }];
      await createPod(
        name,
        {
          terminationGracePeriodSeconds: 10,
          volumes: [{ name: 'host', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } }],
          initContainers: [
            { name: 'first', image, command: ['sh', '-c', 'sleep 1; echo first >> /host/order'], volumeMounts },
            { name: 'second', image, command: ['sh', '-c', 'echo second >> /host/order'], volumeMounts },
          ],
        },
        {
          command: ['sh', '-c', 'echo main >> /host/order; trap "exit 0" TERM; while true; do sleep 1; done'],
          volumeMounts,
          lifecycle: {
            postStart: { exec: { command: ['sh', '-c', 'echo post-start >> /host/hooks'] } },
            preStop: { exec: { command: ['sh', '-c', 'echo pre-stop >> /host/hooks'] } },
          },
        },
      );
      interface Initialized {
        status: { phase?: string; conditions?: { type: string; status: string }[]; initContainerStatuses?: { name: string; ready: boolean; state: { terminated?: { reason: string } } }[] };
      }
      const running = await eventually(async () => {
        const pod = await kubectlJson<Initialized>('get', 'pod', '-n', namespace, name);
        return pod.status.phase === 'Running' ? pod : undefined;
      });
      expect(running.status.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
      expect(running.status.initContainerStatuses?.map((c) => `${c.name}:${c.ready}:${c.state.terminated?.reason}`)).toEqual(['first:true:Completed', 'second:true:Completed']);
      expect(readFileSync(join(hostDir, 'order'), 'utf8')).toBe('first\nsecond\nmain\n');
      expect(readFileSync(join(hostDir, 'hooks'), 'utf8')).toBe('post-start\n');

      await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
      expect(readFileSync(join(hostDir, 'hooks'), 'utf8')).toBe('post-start\npre-stop\n');
    });

    it('runs a sidecar beside the app and stops it once the app is done: a Never pod Succeeds', async () => {
      const name = `sidecar-${process.pid}`;
      const image = `${registry?.host ?? ''}/busybox:latest`;
      await createPod(
        name,
        {
          restartPolicy: 'Never',
          initContainers: [{ name: 'web', image, restartPolicy: 'Always', command: ['sh', '-c', 'mkdir -p /www && echo from-the-sidecar > /www/index.html && exec httpd -f -p 8081 -h /www'] }],
        },
        { command: ['sh', '-c', 'for i in $(seq 1 50); do wget -qO- http://127.0.0.1:8081/index.html && exit 0; sleep 0.2; done; exit 1'] },
      );
      try {
        interface SidecarPod {
          status: { phase?: string; initContainerStatuses?: { name: string; state: Record<string, unknown> }[] };
        }
        const done = await eventually(async () => {
          const pod = await kubectlJson<SidecarPod>('get', 'pod', '-n', namespace, name);
          return pod.status.phase === 'Succeeded' ? pod : undefined;
        });
        expect(await containerLog(name)).toContain('from-the-sidecar');
        // The sidecar ran until the app finished, then was stopped with the pod.
        expect(Object.keys(done.status.initContainerStatuses?.[0]?.state ?? {})).toEqual(['terminated']);
      } finally {
        await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
      }
    });

    it('runs a Deployment of 3 replicas to Running with their own pod IPs, and a Job to Complete', async () => {
      const name = `web-${process.pid}`;
      const template = {
        metadata: { labels: { app: name } },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': nodeName },
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'main', image: `${registry?.host ?? ''}/busybox:latest`, command: ['sleep', '3600'] }],
        },
      };
      const path = join(work, `${name}.json`);
      writeFileSync(
        path,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: [
            { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace }, spec: { replicas: 3, selector: { matchLabels: { app: name } }, template } },
            {
              apiVersion: 'batch/v1',
              kind: 'Job',
              metadata: { name: `job-${name}`, namespace },
              spec: {
                backoffLimit: 0,
                template: { spec: { ...template.spec, restartPolicy: 'Never', containers: [{ ...template.spec.containers[0], command: ['sh', '-c', 'echo done'] }] } },
              },
            },
          ],
        }),
      );
      await kubectl('apply', '-f', path);
      try {
        const pods = await eventually(async () => {
          const list = await kubectlJson<{ items: PodJson[] }>('get', 'pods', '-n', namespace, '-l', `app=${name}`);
          const running = list.items.filter((p) => p.status.phase === 'Running' && p.status.podIP);
          return running.length === 3 ? running : undefined;
        });
        expect(new Set(pods.map((p) => p.status.podIP)).size).toBe(3);
        for (const pod of pods) expect(pod.status.podIP).toMatch(network?.ipPattern ?? /never/);
        const deployment = await eventually(async () => {
          const d = await kubectlJson<{ status: { readyReplicas?: number; availableReplicas?: number } }>('get', 'deployment', '-n', namespace, name);
          return d.status.availableReplicas === 3 ? d : undefined;
        });
        expect(deployment.status.readyReplicas).toBe(3);
        const job = await eventually(async () => {
          const j = await kubectlJson<{ status: { succeeded?: number; conditions?: { type: string; status: string }[] } }>('get', 'job', '-n', namespace, `job-${name}`);
          return j.status.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
        });
        expect(job.status.succeeded).toBe(1);
      } finally {
        await kubectl('delete', '-f', path, '--wait=true', '--timeout=120s', '--cascade=foreground');
      }
    });

    it('serves kubectl logs (tail, timestamps, follow to the end) and its stats to the API server, and refuses callers it cannot vouch for', async () => {
      const name = `talker-${process.pid}`;
      await createPod(name, { restartPolicy: 'Never' }, { command: ['sh', '-c', 'echo one; echo two; sleep 2; echo three; sleep 2; echo four'] });
      await runningPod(name);
      try {
        // -f follows until the container exits, then kubectl returns.
        const followed = await kubectl('logs', '-f', '-n', namespace, name);
        expect(followed).toBe('one\ntwo\nthree\nfour');
        expect(await kubectl('logs', '-n', namespace, name, '--tail=2')).toBe('three\nfour');
        expect(await kubectl('logs', '-n', namespace, name, '--timestamps', '--tail=1')).toMatch(/^\d{4}-\d\d-\d\dT\S+Z four$/);
        await expect(kubectl('logs', '-n', namespace, name, '-c', 'nope')).rejects.toThrow(/container nope is not valid|not valid for pod|not available/);

        const node = await kubectlJson<{ status: { daemonEndpoints?: { kubeletEndpoint?: { Port: number } } } }>('get', 'node', nodeName);
        const port = node.status.daemonEndpoints?.kubeletEndpoint?.Port;
        expect(port).toBeGreaterThan(0);
        const url = `https://127.0.0.1:${String(port)}/stats/summary`;
        // The API server's own kubelet client certificate, as it presents it (the API server will
        // not proxy to a loopback node address, so the test calls the kubelet as the API server would).
        const pki = clusterPkiDir();
        const asApiServer = await execa('curl', ['-sfk', '--cert', join(pki, 'apiserver-kubelet-client.crt'), '--key', join(pki, 'apiserver-kubelet-client.key'), url]);
        expect((JSON.parse(asApiServer.stdout) as { node: { nodeName: string } }).node.nodeName).toBe(nodeName);
        const status = async (...headers: string[]): Promise<string> => (await execa('curl', ['-sk', '-o', '/dev/null', '-w', '%{http_code}', ...headers.flatMap((h) => ['-H', h]), url])).stdout;
        expect(await status()).toBe('401');
        // A real token of a service account with no rights on nodes: known, but not allowed.
        const token = await kubectl('create', 'token', 'default', '-n', namespace);
        expect(await status(`Authorization: Bearer ${token}`)).toBe('403');
        expect(await status('Authorization: Bearer not-a-token')).toBe('401');
      } finally {
        await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
      }
    });

    it("serves a running container's log to a binary.k8s.io WebSocket through the API server, ended when the log is (the upstream conformance spec's read)", async () => {
      const name = `ws-log-${process.pid}`;
      // The spec's pod: restricted pod security, a container that says one line and keeps running.
      await createPod(
        name,
        { securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } } },
        { command: ['/bin/sh', '-c', 'echo container is alive; sleep 10000'], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } },
      );
      await runningPod(name);
      try {
        // The line is in the log once the plain read (kubectl logs) shows it; the WebSocket read
        // must then show the same bytes (found by the upstream spec: berth's kubelet answered nothing).
        await eventually(async () => ((await kubectl('logs', '-n', namespace, name)) === 'container is alive' ? true : undefined));
        const log = await podLogOverWebSocket(inject('apiServer'), clusterPkiDir(), namespace, name, 'main');
        expect(log).toBe('container is alive\n');
      } finally {
        await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
      }
    });

    it('serves kubectl exec (output, errors, exit code, input) and port-forward through the API server, proxied to the runtime streaming server', async () => {
      const name = `shell-${process.pid}`;
      await createPod(name, {}, { command: ['sh', '-c', 'mkdir -p /www && echo served-by-the-pod > /www/index.html && exec httpd -f -p 8080 -h /www'] });
      await runningPod(name);
      const admin = ['--kubeconfig', inject('adminKubeconfig'), '-n', namespace];
      try {
        const ran = await kubectlExec(admin, name, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
        expect(ran.stdout, ran.stderr).toBe('out');
        expect(ran.stderr).toContain('err');
        expect(ran.exitCode).toBe(3);
        const piped = await kubectlExec(admin, name, ['sh', '-c', 'cat; echo "[$(hostname)]"'], 'through stdin\n');
        expect(piped.stdout).toBe(`through stdin\n[${name}]`);
        await expect(kubectl('exec', '-n', namespace, name, '-c', 'nope', '--', 'true')).rejects.toThrow(/container nope is not valid|not found/);

        // port-forward prints the local port it picked, then carries connections to the pod.
        const forward = await kubectlPortForward(admin, `pod/${name}`, 8080);
        try {
          for (let i = 0; i < 3; i++) {
            const page = await fetch(`http://127.0.0.1:${String(forward.localPort)}/index.html`);
            expect(page.status).toBe(200);
            expect(await page.text()).toBe('served-by-the-pod\n');
          }
        } finally {
          await forward.stop();
        }
      } finally {
        await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
      }
    });

    it('serves kubectl attach through the API server: the container output as it is written', async () => {
      const name = `ticker-${process.pid}`;
      await createPod(name, {}, { command: ['sh', '-c', 'while true; do echo tick; sleep 0.3; done'] });
      await runningPod(name);
      try {
        const seen = await kubectlAttachUntil(['--kubeconfig', inject('adminKubeconfig'), '-n', namespace], name, /tick\ntick\n/);
        expect(seen).toMatch(/tick\ntick\n/);
      } finally {
        await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
      }
    });

    // metricsServer is "" only on a host with no non-loopback address for it to serve on.
    it.skipIf(!inject('metricsServer'))('shows its node and pods in kubectl top, through the real metrics-server reading its /metrics/resource', async () => {
      const burner = `burner-${process.pid}`;
      const idle = `idle-${process.pid}`;
      await createPod(burner, {}, { command: ['sh', '-c', 'while :; do :; done'], resources: { limits: { cpu: '500m', memory: '64Mi' } } });
      await createPod(idle, {}, { command: ['sleep', '3600'] });
      try {
        await runningPod(burner);
        await runningPod(idle);
        // metrics-server needs two scrapes (10 s apart) of a container before it has a CPU rate.
        const top = await eventually(async () => {
          // `kubectl top pod` takes one name at most: list the namespace and pick the two.
          const lines = (await kubectl('top', 'pod', '-n', namespace, '--no-headers')).trim().split('\n');
          const usage = new Map(
            lines.map((line) => {
              const [pod = '', cpu = '', memory = ''] = line.trim().split(/\s+/);
              return [pod, { milliCpu: cpu.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000, memory }];
            }),
          );
          return usage.has(burner) && usage.has(idle) ? usage : undefined;
        }, 2_000);
        expect(top.get(burner)?.milliCpu).toBeGreaterThanOrEqual(200);
        expect(top.get(burner)?.milliCpu).toBeLessThanOrEqual(650);
        expect(top.get(idle)?.milliCpu).toBeLessThanOrEqual(50);
        expect(top.get(idle)?.memory).toMatch(/^\d+(Ki|Mi)$/);
        const node = (await kubectl('top', 'node', nodeName, '--no-headers')).trim().split(/\s+/);
        expect(node[0]).toBe(nodeName);
        expect(node[1]).toMatch(/^\d+m$/);
        expect(node[3]).toMatch(/^\d+Mi$/);
      } finally {
        await kubectl('delete', 'pod', '-n', namespace, burner, idle, '--wait=true', '--timeout=120s');
      }
    });

    it('refuses a pod bound to it that asks for more CPU than the node has: Failed with OutOfcpu, nothing run', async () => {
      const name = `greedy-${process.pid}`;
      // Bound directly (no scheduler, which would keep it Pending): the kubelet's own admission decides.
      await createPod(name, { nodeName }, { command: ['sleep', '3600'], resources: { requests: { cpu: '1000' } } });
      try {
        const failed = await eventually(async () => {
          const pod = await kubectlJson<PodJson & { status: { reason?: string; message?: string } }>('get', 'pod', '-n', namespace, name);
          return pod.status.phase === 'Failed' ? pod : undefined;
        });
        expect(failed.status.reason).toBe('OutOfcpu');
        expect(failed.status.message).toMatch(/^Node didn't have enough resource: cpu, requested: 1000000, used: \d+, capacity: \d+$/);
        expect((await cri?.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': failed.metadata.uid } }))?.items).toEqual([]);
      } finally {
        await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
      }
    });

    it("advertises a device plugin's devices on its Node; the scheduler places a pod against them and it gets one", async () => {
      const resource = 'example.com/resource';
      const capacityOf = async (): Promise<string | undefined> => (await kubectlJson<{ status: { capacity: Record<string, string> } }>('get', 'node', nodeName)).status.capacity[resource];
      const plugin = execa(goTool('sample-device-plugin'), [], { env: { PLUGIN_SOCK_DIR: defaultDevicePluginDir }, reject: false, all: true });
      const name = `devices-${process.pid}`;
      try {
        expect(await eventually(async () => ((await capacityOf()) === '2' ? '2' : undefined))).toBe('2');
        // No nodeName: the real scheduler places it, only where the resource is.
        await createPod(name, {}, { command: ['sleep', '3600'], resources: { limits: { [resource]: '1' } } });
        await runningPod(name);
        const devices = await kubectl('exec', '-n', namespace, name, '--', 'sh', '-c', 'ls /tmp | grep -E "^Dev-[0-9]+$"');
        expect(devices.trim()).toMatch(/^Dev-[12]$/);
      } finally {
        await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s').catch(() => '');
        plugin.kill('SIGTERM');
        await plugin;
        for (const device of ['Dev-1', 'Dev-2']) rmSync(join('/tmp', device), { force: true });
      }
      // Gone with the plugin: the Node shows none left, so nothing more is placed here.
      expect(await eventually(async () => ((await capacityOf()) === '0' ? '0' : undefined))).toBe('0');
    });

    it('completes a pod with restartPolicy Never as Succeeded, and deletes it when asked', async () => {
      const name = `once-${process.pid}`;
      await createPod(name, { restartPolicy: 'Never' }, { command: ['sh', '-c', 'exit 0'] });
      const pod = await eventually(async () => {
        const p = await kubectlJson<{ metadata: { uid: string }; status: { phase?: string; containerStatuses?: { state: { terminated?: { exitCode: number; reason: string } } }[] } }>(
          'get',
          'pod',
          '-n',
          namespace,
          name,
        );
        return p.status.phase === 'Succeeded' ? p : undefined;
      });
      expect(pod.status.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
      // The API deletes a finished pod at once (no grace period); the kubelet then removes its runtime objects.
      await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
      const selector = { labelSelector: { 'io.kubernetes.pod.uid': pod.metadata.uid } };
      const left = await eventually(async () => {
        const [sandboxes, containers] = await Promise.all([cri?.listPodSandbox(selector), cri?.listContainers(selector)]);
        return sandboxes?.items.length === 0 ? { sandboxes: sandboxes.items, containers: containers?.containers } : undefined;
      });
      expect(left).toEqual({ sandboxes: [], containers: [] });
    });

    it('runs a static pod from its manifest directory and shows it in the API as a mirror pod', async () => {
      const name = `static-sleeper-${nodeName}`;
      const mirror = await runningPod(name);
      expect(mirror.metadata.annotations?.['kubernetes.io/config.mirror']).toMatch(/^[0-9a-f]{32}$/);
      expect(mirror.metadata.annotations?.['kubernetes.io/config.source']).toBe('file');
      expect(mirror.metadata.annotations?.['kubernetes.io/config.hash']).toBe(mirror.metadata.annotations?.['kubernetes.io/config.mirror']);
      const containers = await cri?.listContainers({ labelSelector: { 'io.kubernetes.pod.name': name } });
      expect(containers?.containers.map((c) => `${c.metadata?.name ?? ''}:${c.state}`)).toEqual(['sleeper:CONTAINER_RUNNING']);
    });

    it('makes the mirror pod again when someone deletes it, while the static pod keeps running', async () => {
      const name = `static-sleeper-${nodeName}`;
      const before = await eventually(() => kubectlJson<PodJson>('get', 'pod', '-n', namespace, name));
      const running = await cri?.listContainers({ labelSelector: { 'io.kubernetes.pod.name': name } });
      await kubectl('delete', 'pod', '-n', namespace, name, '--wait=false');
      const after = await eventually(async () => {
        const pod = await kubectlJson<PodJson & { metadata: { deletionTimestamp?: string } }>('get', 'pod', '-n', namespace, name);
        return pod.metadata.uid !== before.metadata.uid && !pod.metadata.deletionTimestamp ? pod : undefined;
      });
      expect(after.metadata.annotations?.['kubernetes.io/config.mirror']).toBe(before.metadata.annotations?.['kubernetes.io/config.mirror']);
      const now = await cri?.listContainers({ labelSelector: { 'io.kubernetes.pod.name': name } });
      expect(now?.containers.map((c) => c.id)).toEqual(running?.containers.map((c) => c.id));
    });

    it('keeps pods running across a restart of the kubelet, with no duplicates and the same containers', async () => {
      const name = `survivor-${process.pid}`;
      await createPod(name, {}, { command: ['sleep', '3600'] });
      try {
        const running = await runningPod(name);
        const selector = { labelSelector: { 'io.kubernetes.pod.uid': running.metadata.uid } };
        const before = (await cri?.listContainers(selector))?.containers.map((c) => c.id);

        await kubelet?.stop();
        kubelet = await startKubelet(config!, { logger: createLogger('warn') });
        const worker = await eventually(async () => kubelet?.syncLoop.worker(running.metadata.uid));
        await worker.idle();

        expect((await cri?.listContainers(selector))?.containers.map((c) => c.id)).toEqual(before);
        expect((await cri?.listPodSandbox(selector))?.items).toHaveLength(1);
        const after = await kubectlJson<PodJson>('get', 'pod', '-n', namespace, name);
        expect(after.status.phase).toBe('Running');
        expect(after.status.containerStatuses?.[0]?.containerID).toBe(running.status.containerStatuses?.[0]?.containerID);
      } finally {
        await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
      }
    });
  });
}
