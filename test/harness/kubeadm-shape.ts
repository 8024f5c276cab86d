// Makes the fixture cluster look like one `kubeadm init` made, with the real kubeadm's own phases
// run against the API server that is already up: the kubeadm-config and kubelet-config ConfigMaps
// (upload-config), the bootstrap token machinery (bootstrap-token: the token Secret, the RBAC that
// lets bootstrappers read Nodes, post CSRs and have them auto-approved, node client certificate
// rotation, and the kube-public/cluster-info ConfigMap that the controller-manager's
// bootstrapsigner signs). Joining nodes then meet exactly the objects a kubeadm cluster has.
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { goTool, pinned } from './tools.js';

export interface KubeadmShape {
  /** The kubeadm configuration the phases ran with (kubeadm --config). */
  configPath: string;
  /** Runs the real kubeadm with the admin kubeconfig; returns stdout. */
  kubeadm(...args: string[]): Promise<string>;
}

function hostAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((address) => address && !address.internal && address.family === 'IPv4')?.address;
}

export async function makeKubeadmShaped(options: { workDir: string; server: string; adminKubeconfig: string; serviceSubnet: string }): Promise<KubeadmShape> {
  const endpoint = new URL(options.server);
  const configPath = join(options.workDir, 'kubeadm.yaml');
  writeFileSync(
    configPath,
    [
      'apiVersion: kubeadm.k8s.io/v1beta4',
      'kind: InitConfiguration',
      // kubeadm refuses a loopback advertise address (it would pick an address of lo's instead).
      // None of the phases run here publishes it: cluster-info carries the admin kubeconfig's
      // server, so any address of this host will do.
      ...(hostAddress() ? ['localAPIEndpoint:', `  advertiseAddress: ${hostAddress()}`, `  bindPort: ${endpoint.port}`] : []),
      'nodeRegistration:',
      // Named so that kubeadm does not go looking for a container runtime on this host.
      '  criSocket: unix:///run/berth/berth.sock',
      '---',
      'apiVersion: kubeadm.k8s.io/v1beta4',
      'kind: ClusterConfiguration',
      `kubernetesVersion: ${pinned['KUBERNETES_VERSION'] ?? ''}`,
      `controlPlaneEndpoint: ${endpoint.host}`,
      'networking:',
      `  serviceSubnet: ${options.serviceSubnet}`,
      '  dnsDomain: cluster.local',
      '',
    ].join('\n'),
  );
  const kubeadm = async (...args: string[]): Promise<string> => (await execa(goTool('kubeadm'), [...args, '--kubeconfig', options.adminKubeconfig], { timeout: 60_000 })).stdout;
  for (const phase of [
    ['upload-config', 'all'],
    ['bootstrap-token', '--skip-token-print'],
  ]) {
    await kubeadm('init', 'phase', ...phase, '--config', configPath);
  }
  return { configPath, kubeadm };
}
