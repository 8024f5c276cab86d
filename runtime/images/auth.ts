// Registry authentication: the credentials a pull may carry (CRI AuthConfig, docker config.json),
// the WWW-Authenticate challenge a registry answers 401 with, and the Docker token protocol
// (GET <realm>?service=..&scope=.. with or without basic credentials; POST with a refresh token
// for identity tokens). Tokens are cached per realm/service/scope until they expire.
import { InvalidArgumentError, PermissionDeniedError, UnavailableError, errorMessage } from '../../common/errors.js';

/** What a pull can authenticate with; mirrors CRI's AuthConfig without importing cri/. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** base64 of "username:password" */
  auth?: string;
  /** OAuth2 refresh token, exchanged at the token endpoint. */
  identityToken?: string;
  /** A bearer token sent as is. */
  registryToken?: string;
}

export type Credentials = { kind: 'basic'; username: string; password: string } | { kind: 'identity-token'; token: string } | { kind: 'registry-token'; token: string };

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Turns a CRI AuthConfig into credentials; undefined when it carries none. */
export function credentialsFromAuth(auth: RegistryAuth | undefined): Credentials | undefined {
  if (!auth) return undefined;
  if (auth.registryToken) return { kind: 'registry-token', token: auth.registryToken };
  if (auth.identityToken) return { kind: 'identity-token', token: auth.identityToken };
  if (auth.username) return { kind: 'basic', username: auth.username, password: auth.password ?? '' };
  if (auth.auth) return decodeBasic(auth.auth);
  return undefined;
}

function decodeBasic(encoded: string): Credentials {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new InvalidArgumentError('registry auth is not base64 of "username:password"');
  return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

interface DockerConfigEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/**
 * Credentials for `host` from a docker-style config.json ({"auths": {"host": {...}}}). Docker
 * writes Docker Hub under "https://index.docker.io/v1/" and others with or without a scheme.
 */
export function credentialsFromDockerConfig(config: unknown, host: string): Credentials | undefined {
  const auths = (config as { auths?: Record<string, DockerConfigEntry> } | null)?.auths;
  if (!auths || typeof auths !== 'object') return undefined;
  const keys =
    host === 'docker.io'
      ? ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/', 'https://index.docker.io/v1', 'https://registry-1.docker.io']
      : [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
  for (const key of keys) {
    const entry = auths[key];
    if (!entry || typeof entry !== 'object') continue;
    const credentials = credentialsFromAuth({
      ...(entry.auth !== undefined && { auth: entry.auth }),
      ...(entry.username !== undefined && { username: entry.username }),
      ...(entry.password !== undefined && { password: entry.password }),
      ...(entry.identitytoken !== undefined && { identityToken: entry.identitytoken }),
      ...(entry.registrytoken !== undefined && { registryToken: entry.registrytoken }),
    });
    if (credentials) return credentials;
  }
  return undefined;
}

/**
 * Parses a WWW-Authenticate header (RFC 7235): one or more challenges, each a scheme followed by
 * comma-separated auth-params whose values may be quoted strings with backslash escapes.
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const skip = (pattern: RegExp): void => {
    while (i < header.length && pattern.test(header[i] ?? '')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < header.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i] ?? '')) i++;
    return header.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < header.length) {
    skip(/[\s,]/);
    if (i >= header.length) break;
    const word = token();
    if (word === '') {
      i++; // a character no grammar allows here: skip it rather than loop forever
      continue;
    }
    skip(/\s/);
    if (header[i] === '=' && current) {
      i++;
      skip(/\s/);
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < header.length && header[i] !== '"') {
          if (header[i] === '\\') i++;
          value += header[i] ?? '';
          i++;
        }
        i++;
      } else {
        // Lenient: real registries send unquoted values that are not RFC tokens (URLs).
        const start = i;
        while (i < header.length && !/[\s,]/.test(header[i] ?? '')) i++;
        value = header.slice(start, i);
      }
      current.params[word.toLowerCase()] = value;
    } else {
      current = { scheme: word.toLowerCase(), params: {} };
      challenges.push(current);
    }
  }
  return challenges;
}

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Fetches and caches bearer tokens per realm, service and scope. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly fetchImpl: FetchLike = fetch,
    private readonly now: () => number = Date.now,
  ) {}

  async token(challenge: Challenge, scope: string, credentials: Credentials | undefined): Promise<string> {
    if (credentials?.kind === 'registry-token') return credentials.token;
    const realm = challenge.params['realm'];
    if (!realm) throw new PermissionDeniedError('registry asked for a bearer token but named no realm to get it from');
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new PermissionDeniedError(`registry token realm ${JSON.stringify(realm)} is not a URL`);
    }
    if (realmUrl.protocol !== 'https:' && realmUrl.protocol !== 'http:') {
      throw new PermissionDeniedError(`registry token realm ${realm} is not http(s)`);
    }
    const service = challenge.params['service'] ?? '';
    const scopes = [challenge.params['scope'], scope].filter((s): s is string => !!s);
    const uniqueScopes = [...new Set(scopes)];
    const key = JSON.stringify([realm, service, uniqueScopes, credentials?.kind === 'basic' ? credentials.username : '']);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.token;

    let response: Response;
    try {
      response =
        credentials?.kind === 'identity-token'
          ? await this.fetchImpl(realmUrl, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({
                grant_type: 'refresh_token',
                refresh_token: credentials.token,
                service,
                scope: uniqueScopes.join(' '),
                client_id: 'berth',
              }).toString(),
            })
          : await this.fetchImpl(tokenUrl(realmUrl, service, uniqueScopes), {
              headers: credentials?.kind === 'basic' ? { authorization: basicHeader(credentials.username, credentials.password) } : {},
            });
    } catch (error) {
      throw new UnavailableError(`cannot reach registry token endpoint ${realmUrl.origin}: ${errorMessage(error)}`, { cause: error });
    }
    if (response.status === 401 || response.status === 403) {
      throw new PermissionDeniedError(
        `registry token endpoint ${realmUrl.origin} refused ${credentials ? 'the given credentials' : 'anonymous access'} ` +
          `for ${uniqueScopes.join(' ')} (HTTP ${response.status}); check the pull credentials`,
      );
    }
    if (!response.ok) throw new UnavailableError(`registry token endpoint ${realmUrl.origin} answered HTTP ${response.status}`);
    const body = (await response.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown; expires_in?: unknown };
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!token) throw new UnavailableError(`registry token endpoint ${realmUrl.origin} returned no token`);
    // The token spec's default lifetime is 60 s; renew a little early.
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    this.tokens.set(key, { token, expiresAt: this.now() + Math.max(lifetime - 5, 1) * 1000 });
    return token;
  }
}

function tokenUrl(realm: URL, service: string, scopes: string[]): URL {
  const url = new URL(realm);
  if (service) url.searchParams.set('service', service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  return url;
}
