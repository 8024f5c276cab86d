// The API objects pods refer to (configMaps, secrets, services, service account tokens), read
// with the node's own credentials: the API's Node authorizer lets a node read only what the
// pods bound to it use. Tokens are kept and renewed before they expire, as upstream: after 80%
// of their lifetime or 24 hours, whichever comes first.
import type { V1ConfigMap, V1Pod, V1Secret, V1Service } from '@kubernetes/client-node';
import type { PodInputsApi } from './api-port.js';
import type { EnvSources } from './container-env.js';
import type { VolumeSources } from './volume-payload.js';

interface KeptToken {
  token: string;
  renewAtMs: number;
}

const maxTokenAgeMs = 24 * 3600_000;

export class PodInputs implements EnvSources, VolumeSources {
  private readonly tokens = new Map<string, KeptToken>();

  constructor(
    private readonly api: PodInputsApi,
    private readonly now: () => number = Date.now,
  ) {}

  configMap(namespace: string, name: string): Promise<V1ConfigMap | undefined> {
    return this.api.readConfigMap(namespace, name);
  }

  secret(namespace: string, name: string): Promise<V1Secret | undefined> {
    return this.api.readSecret(namespace, name);
  }

  services(namespace: string): Promise<V1Service[]> {
    return this.api.listServices(namespace);
  }

  async serviceAccountToken(pod: V1Pod, audience: string | undefined, expirationSeconds: number): Promise<string> {
    const uid = pod.metadata?.uid ?? '';
    const serviceAccount = pod.spec?.serviceAccountName || 'default';
    const key = `${uid}/${serviceAccount}/${audience ?? ''}/${expirationSeconds}`;
    const kept = this.tokens.get(key);
    const now = this.now();
    if (kept && now < kept.renewAtMs) return kept.token;
    const issued = await this.api.createBoundToken({
      namespace: pod.metadata?.namespace ?? 'default',
      serviceAccount,
      audiences: audience ? [audience] : [],
      expirationSeconds,
      pod: { name: pod.metadata?.name ?? '', uid },
    });
    const lifetime = Math.max(0, issued.expiresAtMs - now);
    this.tokens.set(key, { token: issued.token, renewAtMs: now + Math.min(lifetime * 0.8, maxTokenAgeMs) });
    return issued.token;
  }

  /** Drops what was kept for a pod that is gone. */
  forget(podUid: string): void {
    for (const key of this.tokens.keys()) if (key.startsWith(`${podUid}/`)) this.tokens.delete(key);
  }
}
