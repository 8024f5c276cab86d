// The upstream kubelet's --bootstrap-kubeconfig, as kubeadm join drives it: kubeadm writes
// /etc/kubernetes/bootstrap-kubelet.conf (the API server, its CA and a bootstrap token) and starts
// the kubelet with --bootstrap-kubeconfig and --kubeconfig /etc/kubernetes/kubelet.conf; the
// kubelet, finding no usable kubeconfig, makes its client certificate through a CSR with that
// token, stores it under --cert-dir as kubelet-client-current.pem and writes the kubeconfig
// pointing at it, which is what kubeadm waits for. A kubeconfig already there for this node is
// used as it is (a restarted kubelet), as upstream does.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadYaml } from '@kubernetes/client-node';
import { FailedPreconditionError, errorMessage } from '../../common/errors.js';
import { parseBootstrapToken } from './bootstrap-token.js';
import { joinCluster, type JoinResult } from './join.js';
import { readNodeCredentials, type NodeCredentialPaths } from './node-credentials.js';

/** Credentials where kubeadm's layout has them: the kubeconfig where --kubeconfig says, the pems under --cert-dir. */
export function kubeadmCredentialPaths(kubeconfig: string, certDir: string): NodeCredentialPaths {
  return { dir: dirname(kubeconfig), kubeconfig, pkiDir: certDir, current: join(certDir, 'kubelet-client-current.pem'), caFile: join(certDir, 'ca.crt') };
}

/** The bootstrap token of a bootstrap kubeconfig (its first user's `token`). */
export function bootstrapKubeconfigToken(text: string, where: string): string {
  let config: { users?: { user?: { token?: unknown } }[] } | null;
  try {
    config = loadYaml(text);
  } catch (error) {
    throw new FailedPreconditionError(`${where}: not YAML: ${errorMessage(error)}`);
  }
  const token = config?.users?.[0]?.user?.token;
  if (typeof token !== 'string' || token === '') throw new FailedPreconditionError(`${where}: its user has no bootstrap token (users[0].user.token)`);
  return token;
}

/** A kubeconfig with a client certificate not yet expired (joinCluster checks the rest). */
async function hasUsableCredentials(paths: NodeCredentialPaths): Promise<boolean> {
  const stored = await readNodeCredentials(paths).catch(() => undefined);
  return stored !== undefined && Date.parse(stored.certificate.validTo) > Date.now();
}

export async function bootstrapFromKubeconfig(options: {
  bootstrapKubeconfig: string;
  paths: NodeCredentialPaths;
  nodeName: string;
  timeoutMs: number;
  log: (message: string) => void;
}): Promise<JoinResult> {
  const where = `--bootstrap-kubeconfig ${options.bootstrapKubeconfig}`;
  const text = await readFile(options.bootstrapKubeconfig, 'utf8').catch((error: unknown) => {
    // Gone after kubeadm removed it: fine while a kubeconfig of this node is there.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FailedPreconditionError(`${where}: ${errorMessage(error)}`);
  });
  if (text === undefined && !(await hasUsableCredentials(options.paths))) {
    // joinCluster would ask for --token, a flag of `berth join`, not of this command.
    throw new FailedPreconditionError(
      `${where} does not exist and ${options.paths.kubeconfig} holds no valid credentials of this node: give a bootstrap kubeconfig (kubeadm join writes one), or join with \`berth join\``,
    );
  }
  return joinCluster({
    endpoint: undefined,
    discoveryFile: text === undefined ? undefined : options.bootstrapKubeconfig,
    token: text === undefined ? undefined : parseBootstrapToken(bootstrapKubeconfigToken(text, where), where),
    caPins: [],
    unsafeSkipCaVerification: false,
    nodeName: options.nodeName,
    paths: options.paths,
    discoveryTimeoutMs: options.timeoutMs,
    tlsBootstrapTimeoutMs: options.timeoutMs,
    log: options.log,
  });
}
