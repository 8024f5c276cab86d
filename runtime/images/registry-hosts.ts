// Where a registry host's API is really served: mirrors first (containerd's registry.mirrors,
// e.g. registry.k8s.io → http://127.0.0.1:5000 so public names resolve to the local test
// registry), then the host itself. docker.io's API lives at registry-1.docker.io. Hosts listed as
// insecure are spoken to over plain http.
import { InvalidArgumentError } from '../../common/errors.js';

export interface RegistryHostsConfig {
  /** Registry host → endpoint URLs tried before the host itself, e.g. {"registry.k8s.io": ["http://127.0.0.1:5000"]}. */
  mirrors?: Record<string, string[]>;
  /** Hosts ("host" or "host:port") served over http instead of https. */
  insecure?: string[];
  /**
   * Mirrors replace their host instead of preceding it: the host itself is never contacted
   * (berth's --registry-mirror; on machines without internet a fallback would only leak lookups).
   */
  mirrorsReplace?: boolean;
}

export interface RegistryEndpoint {
  /** Base URL without a trailing slash; the API is at `${url}/v2/`. */
  url: string;
  /** host[:port] of the endpoint, for messages. */
  host: string;
  mirror: boolean;
}

export function endpointsFor(domain: string, config: RegistryHostsConfig = {}): RegistryEndpoint[] {
  const insecure = new Set(config.insecure ?? []);
  const endpoints: RegistryEndpoint[] = (config.mirrors?.[domain] ?? []).map((mirror) => parseEndpoint(mirror, insecure));
  if (config.mirrorsReplace && endpoints.length > 0) return endpoints;
  const upstream = domain === 'docker.io' ? 'registry-1.docker.io' : domain;
  const scheme = insecure.has(domain) || insecure.has(upstream) ? 'http' : 'https';
  endpoints.push({ url: `${scheme}://${upstream}`, host: upstream, mirror: false });
  return endpoints;
}

function parseEndpoint(text: string, insecure: Set<string>): RegistryEndpoint {
  const withScheme = /^[a-z]+:\/\//.test(text) ? text : `${insecure.has(text) ? 'http' : 'https'}://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InvalidArgumentError(`registry mirror ${JSON.stringify(text)} is not a URL; write it like http://127.0.0.1:5000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`registry mirror ${text} must use http or https`);
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/v2$/, '');
  return { url: `${url.protocol}//${url.host}${path}`, host: url.host, mirror: true };
}
