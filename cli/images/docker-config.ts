// Registry credentials as docker keeps them: ~/.docker/config.json (or $DOCKER_CONFIG/config.json)
// with `auths: {"<server>": {"auth": base64("user:pass")}}`, Docker Hub under
// "https://index.docker.io/v1/". `berth login` writes it, `berth logout` removes an entry, and
// the CLI's pulls and pushes send the entry for the image's registry with the request. Other keys
// of the file (credsStore, proxies, ...) are kept as they are; credential helpers are not run.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../../common/atomic-file.js';
import { InvalidArgumentError } from '../../common/errors.js';

export const dockerHubServer = 'https://index.docker.io/v1/';

export interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  [key: string]: unknown;
}

export interface StoredCredentials {
  username: string;
  password: string;
}

/** The config.json path: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['DOCKER_CONFIG'] || join(homedir(), '.docker'), 'config.json');
}

/**
 * The key a server is stored under, as docker normalizes it: Docker Hub's names become
 * "https://index.docker.io/v1/", others lose their scheme and path ("localhost:5000").
 */
export function serverKey(server: string): string {
  const host = server.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (!host) throw new InvalidArgumentError(`${JSON.stringify(server)} names no registry`);
  if (['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(host)) return dockerHubServer;
  return host;
}

/** The registry host an image reference names ("docker.io" when it names none), docker's rule. */
export function registryOfImage(image: string): string {
  const slash = image.indexOf('/');
  const first = slash === -1 ? '' : image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

export function encodeAuth(credentials: StoredCredentials): string {
  return Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
}

/** Pure: the credentials stored for `server` (any spelling docker uses for it), if any. */
export function credentialsFor(config: DockerConfig, server: string): StoredCredentials | undefined {
  const key = serverKey(server);
  const entry = Object.entries(config.auths ?? {}).find(([name]) => {
    try {
      return serverKey(name) === key;
    } catch {
      return false;
    }
  })?.[1];
  if (!entry) return undefined;
  if (entry.username) return { username: entry.username, password: entry.password ?? '' };
  if (!entry.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) } : undefined;
}

/** Pure: `config` with `server`'s entry set (credentials) or removed (undefined). */
export function withCredentials(config: DockerConfig, server: string, credentials: StoredCredentials | undefined): DockerConfig {
  const key = serverKey(server);
  const auths = Object.fromEntries(Object.entries(config.auths ?? {}).filter(([name]) => name !== key && name !== server));
  if (credentials) auths[key] = { auth: encodeAuth(credentials) };
  return { ...config, auths };
}

/** The stored credentials for the registry `image` names (the auth a pull or push sends). */
export async function authForImage(image: string): Promise<StoredCredentials | undefined> {
  return credentialsFor(await readDockerConfig(), registryOfImage(image));
}

export async function readDockerConfig(path = dockerConfigPath()): Promise<DockerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as DockerConfig;
  } catch (error) {
    throw new InvalidArgumentError(`${path} is not a docker config file (${(error as Error).message}); fix or remove it`);
  }
}

/** Written 0600, atomically: it holds passwords. */
export async function writeDockerConfig(config: DockerConfig, path = dockerConfigPath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${JSON.stringify(config, null, '\t')}\n`, 0o600);
}
