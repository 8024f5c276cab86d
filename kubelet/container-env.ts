// A container's environment as the upstream kubelet builds it: envFrom, then env (values,
// configMap/secret keys, the downward API), $(VAR) references expanded against what came before
// and the service variables, then the service variables (docker-links style) not already set.
import type { V1ConfigMap, V1Container, V1Pod, V1Secret, V1Service } from '@kubernetes/client-node';
import { InvalidArgumentError } from '../common/errors.js';
import { fieldRefValue, resourceFieldRefValue, type PodRuntimeFacts } from './downward-api.js';

/** The API objects env may refer to; undefined in standalone mode (no API server). */
export interface EnvSources {
  configMap(namespace: string, name: string): Promise<V1ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<V1Secret | undefined>;
  services(namespace: string): Promise<V1Service[]>;
}

const masterNamespace = 'default';
const masterServices = new Set(['kubernetes']);

/**
 * Kubernetes' $(VAR) syntax: a defined VAR is replaced, an undefined one is left as written, and
 * $$ is a literal $ (so $$(VAR) stays "$(VAR)").
 */
export function expandVars(text: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char !== '$' || i + 1 >= text.length) {
      out += char;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = text.indexOf(')', i + 2);
      if (close < 0) {
        out += text.slice(i);
        break;
      }
      const name = text.slice(i + 2, close);
      out += lookup(name) ?? `$(${name})`;
      i = close;
    } else {
      out += char;
    }
  }
  return out;
}

/** Pure: the docker-links variables of the services (FOO_SERVICE_HOST, FOO_PORT_80_TCP, ...). */
export function serviceEnv(services: readonly V1Service[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const service of services) {
    const ip = service.spec?.clusterIP;
    if (!ip || ip === 'None') continue;
    const prefix = (service.metadata?.name ?? '').toUpperCase().replace(/-/g, '_');
    const ports = service.spec?.ports ?? [];
    const first = ports[0];
    env.set(`${prefix}_SERVICE_HOST`, ip);
    if (!first) continue;
    env.set(`${prefix}_SERVICE_PORT`, String(first.port));
    for (const port of ports) {
      if (port.name) env.set(`${prefix}_SERVICE_PORT_${port.name.toUpperCase().replace(/-/g, '_')}`, String(port.port));
    }
    const host = ip.includes(':') ? `[${ip}]` : ip;
    env.set(`${prefix}_PORT`, `${(first.protocol ?? 'TCP').toLowerCase()}://${host}:${first.port}`);
    for (const port of ports) {
      const protocol = port.protocol ?? 'TCP';
      const base = `${prefix}_PORT_${port.port}_${protocol}`;
      env.set(base, `${protocol.toLowerCase()}://${host}:${port.port}`);
      env.set(`${base}_PROTO`, protocol.toLowerCase());
      env.set(`${base}_PORT`, String(port.port));
      env.set(`${base}_ADDR`, ip);
    }
  }
  return env;
}

function decodeSecret(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}

const validEnvName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Services that go into a pod's env: the API's own always, its namespace's with enableServiceLinks. */
async function podServices(pod: V1Pod, sources: EnvSources | undefined): Promise<V1Service[]> {
  if (!sources) return [];
  const namespace = pod.metadata?.namespace ?? 'default';
  const byName = new Map<string, V1Service>();
  for (const service of await sources.services(masterNamespace)) {
    if (masterServices.has(service.metadata?.name ?? '')) byName.set(service.metadata?.name ?? '', service);
  }
  if (pod.spec?.enableServiceLinks ?? true) {
    for (const service of await sources.services(namespace)) byName.set(service.metadata?.name ?? '', service);
  }
  return [...byName.values()];
}

function needApi(what: string): never {
  throw new InvalidArgumentError(`${what} needs an API server; berth node runs standalone (no --kubeconfig)`);
}

export async function containerEnv(pod: V1Pod, container: V1Container, sources: EnvSources | undefined, facts: PodRuntimeFacts): Promise<{ key: string; value: string }[]> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const services = serviceEnv(await podServices(pod, sources));
  const env = new Map<string, string>();
  const lookup = (name: string): string | undefined => env.get(name) ?? services.get(name);

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let entries: [string, string][];
    if (from.configMapRef) {
      const { name = '', optional } = from.configMapRef;
      const object = sources ? await sources.configMap(namespace, name) : needApi(`envFrom configMap ${name}`);
      if (!object) {
        if (optional) continue;
        throw new InvalidArgumentError(`configmap "${name}" not found`);
      }
      entries = Object.entries(object.data ?? {});
    } else if (from.secretRef) {
      const { name = '', optional } = from.secretRef;
      const object = sources ? await sources.secret(namespace, name) : needApi(`envFrom secret ${name}`);
      if (!object) {
        if (optional) continue;
        throw new InvalidArgumentError(`secret "${name}" not found`);
      }
      entries = Object.entries(object.data ?? {}).map(([k, v]) => [k, decodeSecret(v)]);
    } else continue;
    // Keys that are no valid variable names are skipped, as upstream does (with an event there).
    for (const [key, value] of entries) if (validEnvName.test(prefix + key)) env.set(prefix + key, value);
  }

  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env.set(variable.name, expandVars(variable.value ?? '', lookup));
      continue;
    }
    let value: string | undefined;
    if (from.configMapKeyRef) {
      const { name = '', key, optional } = from.configMapKeyRef;
      const object = sources ? await sources.configMap(namespace, name) : needApi(`env ${variable.name} from configMap ${name}`);
      value = object?.data?.[key];
      if (value === undefined && !optional) {
        throw new InvalidArgumentError(object ? `couldn't find key ${key} in ConfigMap ${namespace}/${name}` : `configmap "${name}" not found`);
      }
    } else if (from.secretKeyRef) {
      const { name = '', key, optional } = from.secretKeyRef;
      const object = sources ? await sources.secret(namespace, name) : needApi(`env ${variable.name} from secret ${name}`);
      const raw = object?.data?.[key];
      value = raw === undefined ? undefined : decodeSecret(raw);
      if (value === undefined && !optional) {
        throw new InvalidArgumentError(object ? `couldn't find key ${key} in Secret ${namespace}/${name}` : `secret "${name}" not found`);
      }
    } else if (from.fieldRef) {
      value = fieldRefValue(pod, from.fieldRef, facts);
    } else if (from.resourceFieldRef) {
      value = resourceFieldRefValue(pod, container.name, from.resourceFieldRef, facts);
    }
    if (value !== undefined) env.set(variable.name, value);
  }

  for (const [key, value] of services) if (!env.has(key)) env.set(key, value);
  return [...env].map(([key, value]) => ({ key, value }));
}
