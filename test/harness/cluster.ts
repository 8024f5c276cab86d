// The e2e cluster fixture: etcd + kube-apiserver + kube-controller-manager + kube-scheduler, built
// from the pinned Go modules, all on loopback ports, with the certificates setup/cluster-pki.sh
// generated, made kubeadm-shaped by the real kubeadm (kubeadm-shape.ts). No kubelet: the node is
// whatever the test brings (berth, or the upstream kubelet).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDaemon, type Daemon } from './daemon.js';
import { makeKubeadmShaped } from './kubeadm-shape.js';
import { freePort } from './ports.js';
import { clusterPkiDir, goTool } from './tools.js';

const execFileAsync = promisify(execFile);

export const serviceClusterIpRange = '10.96.0.0/16';

export interface Cluster {
  /** https://127.0.0.1:PORT */
  server: string;
  /** kubeconfig of a cluster admin (system:masters). */
  adminKubeconfig: string;
  pkiDir: string;
  workDir: string;
  /** Runs kubectl against the cluster as admin and returns its stdout. */
  kubectl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

function writeKubeconfig(path: string, server: string, pki: string, user: string): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'berth-e2e', cluster: { server, 'certificate-authority': join(pki, 'ca.crt') } }],
    users: [
      {
        name: user,
        user: { 'client-certificate': join(pki, `${user}.crt`), 'client-key': join(pki, `${user}.key`) },
      },
    ],
    contexts: [{ name: 'berth-e2e', context: { cluster: 'berth-e2e', user } }],
    'current-context': 'berth-e2e',
  };
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
}

async function healthy(url: string, kubeconfig: string): Promise<boolean> {
  try {
    const { stdout } = await execFileAsync(goTool('kubectl'), ['--kubeconfig', kubeconfig, 'get', '--raw', url], {
      timeout: 5_000,
    });
    return stdout.trim() === 'ok';
  } catch {
    return false;
  }
}

/** `clusterSigningDuration`: the controller-manager's --cluster-signing-duration (short: rotation tests). */
export async function startCluster(options: { clusterSigningDuration?: string } = {}): Promise<Cluster> {
  const pki = clusterPkiDir();
  const workDir = mkdtempSync(join(tmpdir(), 'berth-cluster-'));
  const logs = join(workDir, 'logs');
  mkdirSync(logs);
  const daemons: Daemon[] = [];
  const stop = async (): Promise<void> => {
    for (const daemon of daemons.reverse()) await daemon.stop();
    rmSync(workDir, { recursive: true, force: true });
  };

  try {
    const [etcdClient, etcdPeer, apiserverPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    daemons.push(
      await startDaemon({
        name: 'etcd',
        command: goTool('etcd'),
        args: [
          '--name=berth-e2e',
          `--data-dir=${join(workDir, 'etcd')}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=berth-e2e=${peerUrl}`,
          // A throw-away test store: durability costs seconds per test run and buys nothing.
          '--unsafe-no-fsync',
          '--log-level=warn',
        ],
        logPath: join(logs, 'etcd.log'),
        ready: async () => (await fetch(`${etcdUrl}/health`)).ok,
      }),
    );

    const server = `https://127.0.0.1:${apiserverPort}`;
    const adminKubeconfig = join(workDir, 'admin.kubeconfig');
    writeKubeconfig(adminKubeconfig, server, pki, 'admin');
    daemons.push(
      await startDaemon({
        name: 'kube-apiserver',
        command: goTool('kube-apiserver'),
        args: [
          `--etcd-servers=${etcdUrl}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          // The endpoint reconciler refuses loopback addresses, and tests may reach nothing but
          // loopback: the `kubernetes` service gets no endpoints in this fixture.
          '--endpoint-reconciler-type=none',
          `--secure-port=${apiserverPort}`,
          `--service-cluster-ip-range=${serviceClusterIpRange}`,
          `--client-ca-file=${join(pki, 'ca.crt')}`,
          `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
          `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
          `--kubelet-client-certificate=${join(pki, 'apiserver-kubelet-client.crt')}`,
          `--kubelet-client-key=${join(pki, 'apiserver-kubelet-client.key')}`,
          // As kubeadm sets it: nodes' Hostname addresses are not in any DNS here.
          '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
          `--service-account-key-file=${join(pki, 'sa.pub')}`,
          `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          '--authorization-mode=Node,RBAC',
          '--enable-admission-plugins=NodeRestriction',
          '--enable-bootstrap-token-auth=true',
          '--allow-privileged=true',
          '--profiling=false',
          // The aggregation layer, as kubeadm configures it (metrics.k8s.io for kubectl top).
          `--requestheader-client-ca-file=${join(pki, 'front-proxy-ca.crt')}`,
          '--requestheader-allowed-names=front-proxy-client',
          '--requestheader-username-headers=X-Remote-User',
          '--requestheader-group-headers=X-Remote-Group',
          '--requestheader-extra-headers-prefix=X-Remote-Extra-',
          `--proxy-client-cert-file=${join(pki, 'front-proxy-client.crt')}`,
          `--proxy-client-key-file=${join(pki, 'front-proxy-client.key')}`,
          // No kube-proxy here: aggregated servers are reached at their endpoint, not a service IP.
          '--enable-aggregator-routing=true',
        ],
        logPath: join(logs, 'kube-apiserver.log'),
        ready: () => healthy('/readyz', adminKubeconfig),
        timeoutMs: 120_000,
      }),
    );

    const controllerManagerKubeconfig = join(workDir, 'controller-manager.kubeconfig');
    writeKubeconfig(controllerManagerKubeconfig, server, pki, 'controller-manager');
    const controllerManagerPort = await freePort();
    daemons.push(
      await startDaemon({
        name: 'kube-controller-manager',
        command: goTool('kube-controller-manager'),
        args: [
          `--kubeconfig=${controllerManagerKubeconfig}`,
          `--authentication-kubeconfig=${controllerManagerKubeconfig}`,
          `--authorization-kubeconfig=${controllerManagerKubeconfig}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${controllerManagerPort}`,
          '--leader-elect=false',
          '--use-service-account-credentials=true',
          `--service-account-private-key-file=${join(pki, 'sa.key')}`,
          `--root-ca-file=${join(pki, 'ca.crt')}`,
          `--cluster-signing-cert-file=${join(pki, 'ca.crt')}`,
          `--cluster-signing-key-file=${join(pki, 'ca.key')}`,
          `--service-cluster-ip-range=${serviceClusterIpRange}`,
          '--controllers=*,bootstrapsigner,tokencleaner',
          ...(options.clusterSigningDuration ? [`--cluster-signing-duration=${options.clusterSigningDuration}`] : []),
          '--profiling=false',
        ],
        logPath: join(logs, 'kube-controller-manager.log'),
        ready: async () => (await fetchInsecure(`https://127.0.0.1:${controllerManagerPort}/healthz`)) === 'ok',
      }),
    );

    const schedulerKubeconfig = join(workDir, 'scheduler.kubeconfig');
    writeKubeconfig(schedulerKubeconfig, server, pki, 'scheduler');
    const schedulerPort = await freePort();
    daemons.push(
      await startDaemon({
        name: 'kube-scheduler',
        command: goTool('kube-scheduler'),
        args: [
          `--kubeconfig=${schedulerKubeconfig}`,
          `--authentication-kubeconfig=${schedulerKubeconfig}`,
          `--authorization-kubeconfig=${schedulerKubeconfig}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${schedulerPort}`,
          '--leader-elect=false',
          '--profiling=false',
        ],
        logPath: join(logs, 'kube-scheduler.log'),
        ready: async () => (await fetchInsecure(`https://127.0.0.1:${schedulerPort}/healthz`)) === 'ok',
      }),
    );

    // After the controller-manager: its bootstrapsigner signs cluster-info as soon as it exists.
    await makeKubeadmShaped({ workDir, server, adminKubeconfig, serviceSubnet: serviceClusterIpRange });

    return {
      server,
      adminKubeconfig,
      pkiDir: pki,
      workDir,
      kubectl: async (...args: string[]) => (await execFileAsync(goTool('kubectl'), ['--kubeconfig', adminKubeconfig, ...args], { timeout: 60_000 })).stdout,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * GET over HTTPS without verifying the certificate: the controller-manager, scheduler and
 * metrics-server serve health checks with self-signed certificates they generate at start, which
 * nothing can pin.
 */
export async function fetchInsecure(url: string): Promise<string> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}
