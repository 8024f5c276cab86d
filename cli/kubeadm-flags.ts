// kubeadm's /var/lib/kubelet/kubeadm-flags.env: the node-specific kubelet flags kubeadm join
// writes beside the kubelet's config.yaml (KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=...
// --node-ip=... --node-labels=..."), which kubeadm's systemd drop-in hands to the kubelet. `berth
// node --config DIR/config.yaml` reads DIR/kubeadm-flags.env itself where it exists, so the node
// needs no drop-in; flags on the command line win, and flags berth does not have (the upstream
// kubelet's --pod-infra-container-image, --provider-id, ...) are named in a warning and skipped.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InvalidArgumentError } from '../common/errors.js';

/** The words of KUBELET_KUBEADM_ARGS in an EnvironmentFile (systemd's quoting: one pair of quotes). */
export function kubeadmArgs(text: string, where: string): string[] {
  for (const line of text.split('\n')) {
    const match = /^\s*KUBELET_KUBEADM_ARGS\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = (match[1] ?? '').trim();
    const quote = value[0];
    if (quote === '"' || quote === "'") {
      if (!value.endsWith(quote) || value.length < 2) throw new InvalidArgumentError(`${where}: KUBELET_KUBEADM_ARGS has an unterminated ${quote}`);
      value = value.slice(1, -1);
    }
    return value.split(/\s+/).filter(Boolean);
  }
  return [];
}

/** kubeadm-flags.env beside --config's file; [] where there is none. */
export async function kubeadmArgsBeside(configFile: string): Promise<{ file: string; args: string[] }> {
  const file = join(dirname(configFile), 'kubeadm-flags.env');
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidArgumentError(`${file}: ${(error as Error).message}`);
  });
  return { file, args: text === undefined ? [] : kubeadmArgs(text, file) };
}
