// The combination CRI-O users run: the pinned upstream kubelet (v1.37) with berth as its container
// runtime, joined to the cluster fixture, every pod driven through the real API server and
// kubectl. berth runs from the worktree's dist/ (`berth runtime`), the kubelet as its own
// process; both share a mount namespace of their own (see test/harness/upstream-kubelet.ts).
// Images are named as upstream manifests name them (registry.k8s.io/...) and served by the
// seeded registry through berth's --registry-mirror.
import { execa } from 'execa';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ownMemoryCgroup, removeCgroupPath } from '../../../bench/cgroups.js';
import { packageRoot } from '../../../common/package-root.js';
import { startBerth, type Berth } from '../../harness/berth.js';
import { cniTestNetwork, type CniTestNetwork } from '../../harness/cni-network.js';
import { eventually as poll } from '../../harness/eventually.js';
import { hostAddress } from '../../harness/metrics-server.js';
import { freePort } from '../../harness/ports.js';
import { startRegistry, type Registry } from '../../harness/registry.js';
import { kubectlAttachUntil, kubectlExec, kubectlPortForward } from '../../harness/kubectl-streams.js';
import { goTool } from '../../harness/tools.js';
import { kubeletKernelTunables, privateMountNamespace, startUpstreamKubelet, type MountNamespace, type UpstreamKubelet } from '../../harness/upstream-kubelet.js';

const namespace = 'default';
const image = 'registry.k8s.io/e2e-test-images/busybox:1.29-2';
const nodeIp = hostAddress();

async function kubectl(...args: string[]): Promise<string> {
  return (await execa(goTool('kubectl'), ['--kubeconfig', inject('adminKubeconfig'), ...args], { timeout: 120_000 })).stdout;
}

async function kubectlJson<T>(...args: string[]): Promise<T> {
  return JSON.parse(await kubectl(...args, '-o', 'json')) as T;
}

const eventually = <T>(probe: () => Promise<T | undefined>): Promise<T> => poll(probe, 500);

interface ContainerStatusJson {
  name: string;
  ready: boolean;
  restartCount: number;
  state: { running?: unknown; terminated?: { exitCode: number; reason?: string }; waiting?: { reason?: string; message?: string } };
  lastState: { terminated?: { exitCode: number } };
}

interface PodJson {
  metadata: { uid: string; name: string };
  status: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    initContainerStatuses?: ContainerStatusJson[];
    containerStatuses?: ContainerStatusJson[];
  };
}

const stuckReasons = new Set(['CreateContainerError', 'CreateContainerConfigError', 'RunContainerError', 'ErrImagePull', 'ImagePullBackOff']);

const readyOf = (pod: PodJson): string | undefined => pod.status.conditions?.find((c) => c.type === 'Ready')?.status;

// The machine has no non-loopback address to give the node (the kubelet refuses loopback node IPs).
describe.skipIf(!nodeIp)('the upstream kubelet on berth (e2e)', () => {
  const nodeName = `upstream-berth-${process.pid}`;
  const since = Date.now();
  const cgroupRoot = `${ownMemoryCgroup()}/berth-upstream-kubelet-${process.pid}`;
  const work = mkdtempSync(join(tmpdir(), 'berth-upstream-kubelet-'));
  let registry: Registry | undefined;
  let network: CniTestNetwork | undefined;
  let mountNs: MountNamespace | undefined;
  let berth: Berth | undefined;
  let kubelet: UpstreamKubelet | undefined;
  const pods: string[] = [];

  async function createPod(name: string, spec: Record<string, unknown>): Promise<void> {
    pods.push(name);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { nodeName, terminationGracePeriodSeconds: 1, ...spec } };
    await execa(goTool('kubectl'), ['--kubeconfig', inject('adminKubeconfig'), 'create', '-f', '-'], { input: JSON.stringify(pod), timeout: 60_000 });
  }

  const getPod = (name: string): Promise<PodJson> => kubectlJson<PodJson>('get', 'pod', '-n', namespace, name);

  /**
   * Polls until `done`; fails at once, with the runtime's message, when a container cannot be
   * created or started (the kubelet would retry forever: the hugetlb bug showed only as a timeout).
   */
  async function podUntil(name: string, done: (pod: PodJson) => boolean): Promise<PodJson> {
    for (;;) {
      const pod = await getPod(name).catch(() => undefined);
      if (pod && done(pod)) return pod;
      const statuses = [...(pod?.status.initContainerStatuses ?? []), ...(pod?.status.containerStatuses ?? [])];
      const stuck = statuses.find((c) => stuckReasons.has(c.state.waiting?.reason ?? ''));
      if (stuck) throw new Error(`pod ${name}, container ${stuck.name}: ${stuck.state.waiting?.reason ?? ''}: ${stuck.state.waiting?.message ?? ''}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async function deletePod(name: string): Promise<void> {
    await kubectl('delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=120s');
  }

  /** The CRI ids berth holds (sandboxes and containers), of the pod named `name` or of every pod. */
  async function criIds(name?: string): Promise<string[]> {
    const label = name === undefined ? [] : ['--label', `io.kubernetes.pod.name=${name}`];
    const sandboxes = (await berth!.crictl('pods', '-q', ...label)).trim();
    const containers = (await berth!.crictl('ps', '-a', '-q', ...label)).trim();
    return [...sandboxes.split('\n'), ...containers.split('\n')].filter(Boolean);
  }

  beforeAll(async () => {
    registry = await startRegistry();
    network = cniTestNetwork('upstream-kubelet', 120);
    mountNs = await privateMountNamespace(join(work, 'mount-ns'), kubeletKernelTunables);
    mkdirSync(join(work, 'berth'));
    berth = await startBerth({
      workDir: join(work, 'berth'),
      logLevel: 'info',
      enter: mountNs.enter,
      args: ['--insecure-registry', registry.host, '--registry-mirror', `registry.k8s.io=${registry.url}`, '--cni-conf-dir', network.confDir],
    });
    await kubectl('apply', '-f', join(packageRoot(), 'manifests/rbac/berth-node.yaml'));
    kubelet = await startUpstreamKubelet({
      nodeName,
      nodeIp: nodeIp!,
      apiServer: inject('apiServer'),
      criSocket: berth.socket,
      workDir: join(work, 'kubelet'),
      cgroupRoot,
      port: await freePort(),
      healthzPort: await freePort(),
      namespace: mountNs,
    });
    await eventually(() => kubectl('get', 'serviceaccount', '-n', namespace, 'default'));
  });

  afterAll(async () => {
    if (pods.length > 0) await kubectl('delete', 'pods', '-n', namespace, ...pods, '--ignore-not-found', '--wait=true', '--timeout=60s').catch(() => '');
    await kubelet?.stop();
    await kubectl('delete', 'pods', '-n', namespace, ...pods, '--ignore-not-found', '--force', '--grace-period=0').catch(() => '');
    await kubectl('delete', 'node', nodeName, '--ignore-not-found').catch(() => '');
    await kubectl('delete', 'lease', '-n', 'kube-node-lease', nodeName, '--ignore-not-found').catch(() => '');
    await berth?.crictlResult('rmp', '--force', '--all');
    // BERTH_E2E_LOG_DIR keeps both daemons' logs for a look after the run.
    const keepLogs = process.env['BERTH_E2E_LOG_DIR'];
    if (keepLogs) {
      mkdirSync(keepLogs, { recursive: true });
      if (berth) cpSync(berth.logPath, join(keepLogs, 'berth.log'));
      if (kubelet) cpSync(kubelet.logPath, join(keepLogs, 'kubelet.log'));
    }
    await berth?.stop();
    await mountNs?.remove();
    await network?.remove();
    // The kubelet's pod cgroups (its cgroupRoot), where berth placed the containers too.
    removeCgroupPath(cgroupRoot, since);
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('registers its Node, which goes Ready with berth as its container runtime', async () => {
    interface NodeJson {
      status: { conditions: { type: string; status: string }[]; nodeInfo: Record<string, string>; addresses: { type: string; address: string }[] };
    }
    const node = await eventually(async () => {
      const n = await kubectlJson<NodeJson>('get', 'node', nodeName);
      return n.status.conditions.find((c) => c.type === 'Ready')?.status === 'True' ? n : undefined;
    });
    expect(node.status.nodeInfo['containerRuntimeVersion']).toMatch(/^berth:\/\/\d/);
    expect(node.status.nodeInfo['kubeletVersion']).toMatch(/^v1\.\d+\.\d+/);
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: nodeIp });
  });

  it('runs a pod with an init container, configMap, secret and emptyDir volumes and downward API env to Running, with its files and env right', async () => {
    const name = `inputs-${process.pid}`;
    await kubectl('create', 'configmap', `cfg-${name}`, '-n', namespace, '--from-literal=app.conf=v1');
    await kubectl('create', 'secret', 'generic', `sec-${name}`, '-n', namespace, '--from-literal=password=s3cret');
    try {
      await createPod(name, {
        volumes: [
          { name: 'cfg', configMap: { name: `cfg-${name}` } },
          { name: 'sec', secret: { secretName: `sec-${name}`, defaultMode: 0o400 } },
          { name: 'shared', emptyDir: {} },
        ],
        initContainers: [{ name: 'init', image, command: ['sh', '-c', 'echo made-by-init > /shared/init'], volumeMounts: [{ name: 'shared', mountPath: '/shared' }] }],
        containers: [
          {
            name: 'main',
            image,
            command: ['sleep', '3600'],
            env: [
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'MEMORY_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
            ],
            resources: { limits: { memory: '64Mi', cpu: '200m' } },
            volumeMounts: [
              { name: 'cfg', mountPath: '/cfg' },
              { name: 'sec', mountPath: '/sec' },
              { name: 'shared', mountPath: '/shared' },
            ],
          },
        ],
      });
      const pod = await podUntil(name, (p) => p.status.phase === 'Running');
      expect(pod.status.initContainerStatuses?.[0]?.state.terminated?.exitCode).toBe(0);
      expect(pod.status.podIP).toMatch(network!.ipPattern);
      const out = await kubectl(
        'exec',
        '-n',
        namespace,
        name,
        '--',
        'sh',
        '-c',
        'cat /shared/init /cfg/app.conf; echo; cat /sec/password; echo; stat -Lc %a /sec/password; echo "$POD_NAME $POD_NAMESPACE $POD_IP $MEMORY_LIMIT"',
      );
      expect(out.split('\n')).toEqual(['made-by-init', 'v1', 's3cret', '400', `${name} ${namespace} ${pod.status.podIP ?? ''} ${64 * 1024 * 1024}`]);
    } finally {
      await deletePod(name);
      await kubectl('delete', 'configmap', `cfg-${name}`, '-n', namespace);
      await kubectl('delete', 'secret', `sec-${name}`, '-n', namespace);
    }
  });

  it('flips Ready with exec and httpGet readiness probes, and restarts a container whose liveness probe fails', async () => {
    const name = `probed-${process.pid}`;
    await createPod(name, {
      containers: [
        {
          name: 'web',
          image,
          command: ['sh', '-c', 'mkdir -p /www && echo ok > /www/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /www'],
          ports: [{ name: 'web', containerPort: 8080 }],
          readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
        },
        {
          name: 'checked',
          image,
          command: ['sh', '-c', 'mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8081 -h /www'],
          readinessProbe: { httpGet: { path: '/healthz', port: 8081 }, periodSeconds: 1, failureThreshold: 1 },
          livenessProbe: { exec: { command: ['test', '!', '-f', '/tmp/die'] }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    });
    try {
      await podUntil(name, (p) => readyOf(p) === 'True');
      // exec probe: the file goes, the pod goes not Ready; it comes back, Ready again.
      await kubectl('exec', '-n', namespace, name, '-c', 'web', '--', 'rm', '/tmp/ready');
      await podUntil(name, (p) => readyOf(p) === 'False');
      await kubectl('exec', '-n', namespace, name, '-c', 'web', '--', 'touch', '/tmp/ready');
      await podUntil(name, (p) => readyOf(p) === 'True');
      // httpGet probe: the page goes, not Ready; back, Ready.
      await kubectl('exec', '-n', namespace, name, '-c', 'checked', '--', 'rm', '/www/healthz');
      await podUntil(name, (p) => readyOf(p) === 'False');
      await kubectl('exec', '-n', namespace, name, '-c', 'checked', '--', 'sh', '-c', 'echo ok > /www/healthz');
      await podUntil(name, (p) => readyOf(p) === 'True');
      // Liveness: the kubelet kills and restarts the container.
      await kubectl('exec', '-n', namespace, name, '-c', 'checked', '--', 'touch', '/tmp/die');
      const restarted = await podUntil(name, (p) => (p.status.containerStatuses?.find((c) => c.name === 'checked')?.restartCount ?? 0) >= 1);
      expect(restarted.status.containerStatuses?.find((c) => c.name === 'checked')?.lastState.terminated).toBeDefined();
      await podUntil(name, (p) => readyOf(p) === 'True');
    } finally {
      await deletePod(name);
    }
  });

  it('restarts a failed container under OnFailure until it succeeds, and leaves a failed one under Never', async () => {
    const onFailure = `onfailure-${process.pid}`;
    const never = `never-${process.pid}`;
    await createPod(onFailure, {
      restartPolicy: 'OnFailure',
      volumes: [{ name: 'state', emptyDir: {} }],
      containers: [
        {
          name: 'main',
          image,
          command: ['sh', '-c', 'if [ -f /state/once ]; then exit 0; fi; touch /state/once; exit 1'],
          volumeMounts: [{ name: 'state', mountPath: '/state' }],
        },
      ],
    });
    await createPod(never, { restartPolicy: 'Never', containers: [{ name: 'main', image, command: ['sh', '-c', 'exit 3'] }] });
    try {
      const succeeded = await podUntil(onFailure, (p) => p.status.phase === 'Succeeded');
      expect(succeeded.status.containerStatuses?.[0]?.restartCount).toBe(1);
      expect(succeeded.status.containerStatuses?.[0]?.state.terminated?.exitCode).toBe(0);
      const failed = await podUntil(never, (p) => p.status.phase === 'Failed');
      expect(failed.status.containerStatuses?.[0]?.restartCount).toBe(0);
      expect(failed.status.containerStatuses?.[0]?.state.terminated?.exitCode).toBe(3);
    } finally {
      await deletePod(onFailure);
      await deletePod(never);
    }
  });

  it('serves kubectl logs, exec, attach and port-forward through the API server to a pod on berth', async () => {
    const name = `streams-${process.pid}`;
    await createPod(name, {
      containers: [
        {
          name: 'main',
          image,
          command: ['sh', '-c', 'mkdir -p /www && echo served-by-berth > /www/index.html && httpd -p 8080 -h /www && echo started && while true; do echo tick; sleep 0.3; done'],
        },
      ],
    });
    try {
      await podUntil(name, (p) => p.status.phase === 'Running');
      const logs = await eventually(async () => {
        const text = await kubectl('logs', '-n', namespace, name, '--tail=-1');
        return text.includes('tick') ? text : undefined;
      });
      expect(logs.split('\n')[0]).toBe('started');

      const admin = ['--kubeconfig', inject('adminKubeconfig'), '-n', namespace];
      // exec: stdin in, stdout and stderr apart, the exit code back.
      const ran = await kubectlExec(admin, name, ['sh', '-c', 'cat; echo "[$(hostname)]"; echo err >&2; exit 3'], 'through stdin\n');
      expect(ran).toEqual({ stdout: `through stdin\n[${name}]`, stderr: expect.stringContaining('err'), exitCode: 3 });

      const seen = await kubectlAttachUntil(admin, name, /tick\ntick\n/);
      expect(seen).toMatch(/tick\ntick\n/);

      const forward = await kubectlPortForward(admin, `pod/${name}`, 8080);
      try {
        for (let i = 0; i < 3; i++) {
          const page = await fetch(`http://127.0.0.1:${String(forward.localPort)}/index.html`);
          expect(await page.text()).toBe('served-by-berth\n');
        }
      } finally {
        await forward.stop();
      }
    } finally {
      await deletePod(name);
    }
  });

  it("reports a running pod's usage in the kubelet's /metrics/resource and /stats/summary, from berth's CRI stats", async () => {
    const name = `burner-${process.pid}`;
    await createPod(name, { containers: [{ name: 'main', image, command: ['sh', '-c', 'while :; do :; done'], resources: { limits: { cpu: '200m', memory: '64Mi' } } }] });
    try {
      await podUntil(name, (p) => p.status.phase === 'Running');
      const proxy = `/api/v1/nodes/${nodeName}/proxy`;
      const sample = (text: string, metric: string): number | undefined => {
        const line = text.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(`pod="${name}"`));
        return line === undefined ? undefined : Number(line.split(' ')[1]);
      };
      // cAdvisor samples the pod cgroup on its own housekeeping period: allow it 45 s.
      const deadline = Date.now() + 45_000;
      let metrics = '';
      const seen = (metric: string): boolean => (sample(metrics, metric) ?? 0) > 0;
      const metricNames = ['container_cpu_usage_seconds_total', 'container_memory_working_set_bytes', 'pod_cpu_usage_seconds_total', 'pod_memory_working_set_bytes'];
      while (Date.now() < deadline && !metricNames.every(seen)) {
        metrics = await kubectl('get', '--raw', `${proxy}/metrics/resource`);
        if (!metricNames.every(seen)) await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      // The pod figures are read by the kubelet from its own pod cgroup: berth's containers must be
      // inside it (on this hybrid host berth's memory cgroup is not the root; the kubelet's
      // cgroupRoot is inside it).
      expect(
        metricNames.filter((metric) => !seen(metric)),
        metrics
          .split('\n')
          .filter((l) => l.includes(name))
          .join('\n'),
      ).toEqual([]);
      expect(sample(metrics, 'container_memory_working_set_bytes')).toBeLessThanOrEqual(64 * 1024 * 1024);
      interface Summary {
        pods: {
          podRef: { name: string };
          containers: { name: string; cpu?: { usageNanoCores?: number }; memory?: { workingSetBytes?: number }; logs?: { usedBytes?: number } }[];
          network?: { name?: string };
        }[];
      }
      const pod = await eventually(async () => {
        const summary = JSON.parse(await kubectl('get', '--raw', `${proxy}/stats/summary`)) as Summary;
        const found = summary.pods.find((p) => p.podRef.name === name);
        return (found?.containers[0]?.cpu?.usageNanoCores ?? 0) > 0 ? found : undefined;
      });
      expect(pod.containers[0]?.memory?.workingSetBytes).toBeGreaterThan(0);
    } finally {
      await deletePod(name);
    }
  });

  it('removes deleted pods from berth: no sandbox and no container left, init containers included', async () => {
    const name = `deleted-${process.pid}`;
    await createPod(name, {
      initContainers: [{ name: 'init', image, command: ['true'] }],
      containers: [{ name: 'main', image, command: ['sleep', '3600'] }],
    });
    await podUntil(name, (p) => p.status.phase === 'Running');
    expect((await criIds(name)).length).toBeGreaterThanOrEqual(3);
    await deletePod(name);
    // The kubelet removes the sandbox and its containers (the exited init container too) once the pod is gone.
    const left = await eventually(async () => ((await criIds(name)).length === 0 ? [] : undefined));
    expect(left).toEqual([]);
    // Every pod the tests above deleted is gone from berth too: crictl pods and ps are empty.
    expect(await eventually(async () => ((await criIds()).length === 0 ? [] : undefined))).toEqual([]);
  });
});
