// Static pods: pod manifests in a directory, run by this kubelet without the API server. The
// directory is re-read every 20 s; a pod's identity is the hash of its defaulted manifest, so an
// edited manifest is a new pod (the old one stops) and an unchanged one keeps running. Naming and
// annotations follow the upstream kubelet (name suffixed with -<nodeName>, config.source/hash/seen),
// which tools and the mirror pods in the API rely on.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { loadYaml } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';

export const configSourceAnnotation = 'kubernetes.io/config.source';
export const configHashAnnotation = 'kubernetes.io/config.hash';
export const configSeenAnnotation = 'kubernetes.io/config.seen';
export const configMirrorAnnotation = 'kubernetes.io/config.mirror';

const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** JSON with object keys sorted at every level: the same pod always hashes the same. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Upstream's default: an image without a tag, or tagged latest, is always pulled. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastPart.includes(':') ? lastPart.slice(lastPart.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function validContainers(containers: unknown, where: string): V1Container[] {
  if (!Array.isArray(containers) || containers.length === 0) throw new InvalidArgumentError(`${where}: spec.containers must list at least one container`);
  const names = new Set<string>();
  return containers.map((c: unknown, i) => {
    const container = c as Partial<V1Container> | null;
    if (!container || typeof container !== 'object') throw new InvalidArgumentError(`${where}: spec.containers[${i}] is not an object`);
    if (typeof container.name !== 'string' || !label.test(container.name) || container.name.length > 63) {
      throw new InvalidArgumentError(`${where}: spec.containers[${i}].name ${JSON.stringify(container.name)} is not a DNS label`);
    }
    if (names.has(container.name)) throw new InvalidArgumentError(`${where}: container name ${container.name} appears twice`);
    names.add(container.name);
    if (typeof container.image !== 'string' || container.image.trim() === '') {
      throw new InvalidArgumentError(`${where}: container ${container.name} has no image`);
    }
    return { ...container, name: container.name, image: container.image, imagePullPolicy: container.imagePullPolicy ?? defaultPullPolicy(container.image) };
  });
}

/**
 * The pod this kubelet runs for a manifest: validated, defaulted, renamed, bound to the node and
 * annotated. `seen` is when this content was first read (config.seen; not part of the hash).
 */
export function staticPodFromManifest(manifest: unknown, options: { nodeName: string; where: string; seen: Date }): V1Pod {
  const { where, nodeName } = options;
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) throw new InvalidArgumentError(`${where}: not a pod manifest (expected a YAML or JSON object)`);
  const raw = manifest as V1Pod;
  if ((raw.kind ?? 'Pod') !== 'Pod' || (raw.apiVersion ?? 'v1') !== 'v1') {
    throw new InvalidArgumentError(`${where}: kind ${String(raw.kind)} apiVersion ${String(raw.apiVersion)} is not a v1 Pod`);
  }
  const name = raw.metadata?.name;
  if (typeof name !== 'string' || !subdomain.test(name)) throw new InvalidArgumentError(`${where}: metadata.name ${JSON.stringify(name)} is not a valid pod name`);
  const fullName = `${name}-${nodeName}`;
  if (fullName.length > 253) throw new InvalidArgumentError(`${where}: pod name ${fullName} is longer than 253 characters`);
  const namespace = raw.metadata?.namespace ?? 'default';
  if (!label.test(namespace)) throw new InvalidArgumentError(`${where}: metadata.namespace ${JSON.stringify(namespace)} is not a DNS label`);
  const containers = validContainers(raw.spec?.containers, where);
  const initContainers = raw.spec?.initContainers ? validContainers(raw.spec.initContainers, where) : undefined;
  const restartPolicy = raw.spec?.restartPolicy ?? 'Always';
  if (!['Always', 'OnFailure', 'Never'].includes(restartPolicy)) throw new InvalidArgumentError(`${where}: restartPolicy ${restartPolicy} is not Always, OnFailure or Never`);

  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...raw.metadata, name: fullName, namespace, annotations: { ...raw.metadata?.annotations } },
    spec: {
      ...raw.spec,
      containers,
      ...(initContainers ? { initContainers } : {}),
      nodeName,
      restartPolicy,
      dnsPolicy: raw.spec?.dnsPolicy ?? 'ClusterFirst',
      terminationGracePeriodSeconds: raw.spec?.terminationGracePeriodSeconds ?? 30,
      // Static pods tolerate every NoExecute taint: nothing may evict what the node itself runs.
      tolerations: [...(raw.spec?.tolerations ?? []), { operator: 'Exists', effect: 'NoExecute' }],
    },
  };
  const hash = createHash('sha256').update(stableStringify(pod)).digest('hex').slice(0, 32);
  pod.metadata = {
    ...pod.metadata,
    uid: hash,
    annotations: {
      ...pod.metadata?.annotations,
      [configSourceAnnotation]: 'file',
      [configHashAnnotation]: hash,
      [configSeenAnnotation]: options.seen.toISOString(),
    },
  };
  return pod;
}

export interface ManifestReadResult {
  pods: V1Pod[];
  /** One line per file that was skipped, with why. */
  errors: string[];
}

/** Reads every non-hidden file of `dir` as one pod manifest; a bad file is skipped, not fatal. */
export async function readManifestDir(dir: string, nodeName: string, seenByHash: Map<string, Date>, now: Date): Promise<ManifestReadResult> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  const pods: V1Pod[] = [];
  const errors: string[] = [];
  const uids = new Set<string>();
  for (const file of names) {
    const path = join(dir, file);
    try {
      if (!(await stat(path)).isFile()) continue;
      const manifest = loadYaml<unknown>(await readFile(path, 'utf8'));
      const firstSeen = (pod: V1Pod): Date => seenByHash.get(pod.metadata?.uid ?? '') ?? now;
      let pod = staticPodFromManifest(manifest, { nodeName, where: path, seen: now });
      pod = staticPodFromManifest(manifest, { nodeName, where: path, seen: firstSeen(pod) });
      const uid = pod.metadata?.uid ?? '';
      if (uids.has(uid)) throw new InvalidArgumentError(`${path}: the same pod as another manifest in ${dir}`);
      if (pods.some((p) => p.metadata?.name === pod.metadata?.name && p.metadata?.namespace === pod.metadata?.namespace)) {
        throw new InvalidArgumentError(`${path}: pod ${pod.metadata?.namespace}/${pod.metadata?.name} is already defined by another manifest`);
      }
      uids.add(uid);
      pods.push(pod);
    } catch (error) {
      errors.push(errorMessage(error));
    }
  }
  return { pods, errors };
}

export interface StaticPodSourceDeps {
  dir: string;
  nodeName: string;
  checkMs: number;
  logger: Logger;
  /** Called with the full set of static pods whenever it changes (and once after the first read). */
  onChange: (pods: V1Pod[]) => void;
  now?: () => Date;
}

export class StaticPodSource {
  private readonly seen = new Map<string, Date>();
  private lastKey: string | undefined;
  private lastErrors = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: StaticPodSourceDeps) {}

  async readOnce(): Promise<V1Pod[]> {
    const now = (this.deps.now ?? (() => new Date()))();
    let result: ManifestReadResult;
    try {
      result = await readManifestDir(this.deps.dir, this.deps.nodeName, this.seen, now);
    } catch (error) {
      // A missing directory means no static pods (the upstream kubelet treats it the same way).
      result = { pods: [], errors: [`${this.deps.dir}: ${errorMessage(error)}`] };
    }
    const errors = result.errors.join('\n');
    if (errors !== this.lastErrors && errors !== '') this.deps.logger.warn({ dir: this.deps.dir, errors: result.errors }, 'static pod manifests skipped');
    this.lastErrors = errors;
    const uids = result.pods.map((p) => p.metadata?.uid ?? '');
    for (const [i, uid] of uids.entries()) {
      const seen = result.pods[i]?.metadata?.annotations?.[configSeenAnnotation];
      if (!this.seen.has(uid) && seen) this.seen.set(uid, new Date(seen));
    }
    for (const uid of this.seen.keys()) if (!uids.includes(uid)) this.seen.delete(uid);
    const key = uids.join(',');
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.deps.onChange(result.pods);
    }
    return result.pods;
  }

  start(): void {
    const loop = async (): Promise<void> => {
      await this.readOnce();
      if (this.timer) this.timer = setTimeout(() => void loop(), this.deps.checkMs);
    };
    this.timer = setTimeout(() => void loop(), 0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
