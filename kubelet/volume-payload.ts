// What an API-backed volume holds (configMap, secret, downwardAPI, projected): file paths to
// contents and modes, computed from the API objects, ready for the atomic writer. Paths are
// checked here, before anything touches the disk.
import type { V1KeyToPath, V1Pod, V1Volume } from '@kubernetes/client-node';
import { InvalidArgumentError } from '../common/errors.js';
import type { EnvSources } from './container-env.js';
import { fieldRefValue, resourceFieldRefValue, type PodRuntimeFacts } from './downward-api.js';

export interface PayloadFile {
  data: Buffer;
  mode: number;
}

export type Payload = Map<string, PayloadFile>;

export interface TokenSource {
  /** A token for the pod's service account, bound to the pod. */
  serviceAccountToken(pod: V1Pod, audience: string | undefined, expirationSeconds: number): Promise<string>;
}

export type VolumeSources = Pick<EnvSources, 'configMap' | 'secret'> & TokenSource;

const defaultMode = 0o644;
const defaultTokenSeconds = 3600;

/** Pure: a payload path must stay inside its volume and never shadow the writer's ..data names. */
export function checkPayloadPath(volume: string, path: string): void {
  const parts = path.split('/');
  if (path === '' || path.startsWith('/') || parts.includes('..') || parts[0]?.startsWith('..')) {
    throw new InvalidArgumentError(`volume ${volume}: item path ${JSON.stringify(path)} must be relative, without ".." and not start with ".."`);
  }
}

function needApi(what: string): never {
  throw new InvalidArgumentError(`${what} needs an API server; berth node runs standalone (no --kubeconfig)`);
}

function modeOf(mode: number | undefined, fallback: number): number {
  const value = mode ?? fallback;
  if (!Number.isInteger(value) || value < 0 || value > 0o777) throw new InvalidArgumentError(`file mode ${value} is not between 0 and 0777`);
  return value;
}

/** Keys → files: every key, or the listed items (a missing key fails unless optional). */
function keyedFiles(payload: Payload, volume: string, what: string, data: Map<string, Buffer>, items: V1KeyToPath[] | undefined, mode: number, optional: boolean): void {
  if (!items || items.length === 0) {
    for (const [key, value] of data) {
      checkPayloadPath(volume, key);
      payload.set(key, { data: value, mode });
    }
    return;
  }
  for (const item of items) {
    const value = data.get(item.key);
    if (value === undefined) {
      if (optional) continue;
      throw new InvalidArgumentError(`volume ${volume}: ${what} has no key ${item.key}`);
    }
    checkPayloadPath(volume, item.path);
    payload.set(item.path, { data: value, mode: modeOf(item.mode, mode) });
  }
}

function configMapData(object: { data?: Record<string, string>; binaryData?: Record<string, string> }): Map<string, Buffer> {
  const data = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(object.data ?? {})) data.set(key, Buffer.from(value, 'utf8'));
  for (const [key, value] of Object.entries(object.binaryData ?? {})) data.set(key, Buffer.from(value, 'base64'));
  return data;
}

function secretData(object: { data?: Record<string, string> }): Map<string, Buffer> {
  return new Map(Object.entries(object.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]));
}

/** The kinds this module fills; emptyDir and hostPath are directories of their own. */
export function isApiBackedVolume(volume: V1Volume): boolean {
  return Boolean(volume.configMap || volume.secret || volume.downwardAPI || volume.projected);
}

/** Secrets and projected volumes (tokens) live in memory only, as upstream. */
export function isMemoryBacked(volume: V1Volume): boolean {
  return Boolean(volume.secret || volume.projected);
}

export async function volumePayload(pod: V1Pod, volume: V1Volume, sources: VolumeSources | undefined, facts: PodRuntimeFacts): Promise<Payload> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const payload: Payload = new Map();
  const name = volume.name;

  const addConfigMap = async (ref: { name?: string; items?: V1KeyToPath[]; optional?: boolean }, mode: number): Promise<void> => {
    const objectName = ref.name ?? '';
    const object = sources ? await sources.configMap(namespace, objectName) : needApi(`volume ${name} (configMap ${objectName})`);
    if (!object) {
      if (ref.optional) return;
      throw new InvalidArgumentError(`volume ${name}: configmap "${objectName}" not found`);
    }
    keyedFiles(payload, name, `configmap ${objectName}`, configMapData(object), ref.items, mode, ref.optional ?? false);
  };
  const addSecret = async (objectName: string, ref: { items?: V1KeyToPath[]; optional?: boolean }, mode: number): Promise<void> => {
    const object = sources ? await sources.secret(namespace, objectName) : needApi(`volume ${name} (secret ${objectName})`);
    if (!object) {
      if (ref.optional) return;
      throw new InvalidArgumentError(`volume ${name}: secret "${objectName}" not found`);
    }
    keyedFiles(payload, name, `secret ${objectName}`, secretData(object), ref.items, mode, ref.optional ?? false);
  };
  const addDownward = (items: NonNullable<V1Volume['downwardAPI']>['items'], mode: number): void => {
    for (const item of items ?? []) {
      checkPayloadPath(name, item.path);
      let value: string;
      if (item.fieldRef) value = fieldRefValue(pod, item.fieldRef, facts);
      else if (item.resourceFieldRef) {
        if (!item.resourceFieldRef.containerName) throw new InvalidArgumentError(`volume ${name}: resourceFieldRef ${item.path} needs a containerName`);
        value = resourceFieldRefValue(pod, item.resourceFieldRef.containerName, item.resourceFieldRef, facts);
      } else throw new InvalidArgumentError(`volume ${name}: downwardAPI item ${item.path} has neither fieldRef nor resourceFieldRef`);
      payload.set(item.path, { data: Buffer.from(value, 'utf8'), mode: modeOf(item.mode, mode) });
    }
  };

  if (volume.configMap) {
    await addConfigMap(volume.configMap, modeOf(volume.configMap.defaultMode, defaultMode));
  } else if (volume.secret) {
    await addSecret(volume.secret.secretName ?? '', volume.secret, modeOf(volume.secret.defaultMode, defaultMode));
  } else if (volume.downwardAPI) {
    addDownward(volume.downwardAPI.items, modeOf(volume.downwardAPI.defaultMode, defaultMode));
  } else if (volume.projected) {
    const mode = modeOf(volume.projected.defaultMode, defaultMode);
    for (const source of volume.projected.sources ?? []) {
      if (source.configMap) await addConfigMap(source.configMap, mode);
      else if (source.secret) await addSecret(source.secret.name ?? '', source.secret, mode);
      else if (source.downwardAPI) addDownward(source.downwardAPI.items, mode);
      else if (source.serviceAccountToken) {
        const { path, audience, expirationSeconds } = source.serviceAccountToken;
        checkPayloadPath(name, path);
        if (!sources) needApi(`volume ${name} (serviceAccountToken)`);
        const token = await sources.serviceAccountToken(pod, audience, expirationSeconds ?? defaultTokenSeconds);
        payload.set(path, { data: Buffer.from(token, 'utf8'), mode });
      } else {
        throw new InvalidArgumentError(`volume ${name}: projected source ${Object.keys(source).join(', ')} is not supported by berth's kubelet`);
      }
    }
  }
  return payload;
}
