// An OCI distribution API client over global fetch: pulls, and pushes (blob uploads and manifest
// PUTs, for `berth push`).
// It resolves a reference to a manifest or index on the first endpoint that has it (mirrors
// before the upstream host), answers 401 challenges with basic or bearer auth, and streams blobs
// into the content store with HTTP Range resume. Every manifest's bytes are hashed: one fetched
// by digest must hash to it, and one fetched by tag must match the Docker-Content-Digest header.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { BerthError, InvalidArgumentError, NotFoundError, PermissionDeniedError, ResourceExhaustedError, UnavailableError, UnimplementedError, errorMessage } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import { abortedError } from '../../common/abort.js';
import { basicHeader, credentialsFromAuth, credentialsFromDockerConfig, parseChallenges, TokenCache, type Credentials, type FetchLike, type RegistryAuth } from './auth.js';
import type { BlobSource } from './content-store.js';
import { DigestMismatchError } from './content-store.js';
import { isDigest, sha256Of, type Digest } from './digest.js';
import { mediaTypes, type Descriptor } from './oci-types.js';
import { formatReference, type ImageReference } from './reference.js';
import { endpointsFor, type RegistryEndpoint, type RegistryHostsConfig } from './registry-hosts.js';

export const manifestAccept = [mediaTypes.ociIndex, mediaTypes.ociManifest, mediaTypes.dockerManifestList, mediaTypes.dockerManifest].join(', ');

const schema1Types = new Set(['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws']);

// containerd's limit: a manifest is metadata, and an endless one must not exhaust memory.
export const maxManifestBytes = 4 * 1024 * 1024;

export interface FetchedManifest {
  digest: Digest;
  mediaType: string;
  size: number;
  bytes: Buffer;
}

export interface RegistryClientOptions {
  hosts?: RegistryHostsConfig;
  /** Parsed docker config.json, consulted when a pull carries no credentials. */
  dockerConfig?: unknown;
  fetch?: FetchLike;
  logger?: Logger;
}

export class RegistryClient {
  private readonly hosts: RegistryHostsConfig;
  private readonly fetchImpl: FetchLike;
  private readonly tokens: TokenCache;
  private readonly logger: Logger;
  private readonly dockerConfig: unknown;

  constructor(options: RegistryClientOptions = {}) {
    this.hosts = options.hosts ?? {};
    this.fetchImpl = options.fetch ?? fetch;
    this.tokens = new TokenCache(this.fetchImpl);
    this.logger = options.logger ?? silentLogger();
    this.dockerConfig = options.dockerConfig;
  }

  /**
   * Fetches the manifest (or index) `reference` names from the first endpoint that serves it and
   * returns it with a repository client bound to that endpoint for the rest of the pull.
   */
  async resolve(reference: ImageReference, auth?: RegistryAuth, signal?: AbortSignal): Promise<{ repository: RepositoryClient; manifest: FetchedManifest }> {
    const credentials = credentialsFromAuth(auth) ?? credentialsFromDockerConfig(this.dockerConfig, reference.domain);
    const target = reference.digest ?? reference.tag ?? 'latest';
    const failures: { endpoint: RegistryEndpoint; error: unknown }[] = [];
    for (const endpoint of endpointsFor(reference.domain, this.hosts)) {
      const repository = new RepositoryClient(endpoint, reference.path, credentials, this.tokens, this.fetchImpl, 'pull', signal);
      try {
        const manifest = await repository.getManifest(target);
        this.logger.debug({ image: formatReference(reference), endpoint: endpoint.url, digest: manifest.digest }, 'resolved image');
        return { repository, manifest };
      } catch (error) {
        this.logger.debug({ image: formatReference(reference), endpoint: endpoint.url, err: errorMessage(error) }, 'endpoint failed');
        failures.push({ endpoint, error });
        // Only "not here" and "not reachable" send the pull to the next endpoint; refused
        // credentials or corrupt bytes are answers, and trying elsewhere would hide them.
        if (!(error instanceof NotFoundError) && !(error instanceof UnavailableError)) break;
      }
    }
    const summary = failures.map(({ endpoint, error }) => `${endpoint.url}: ${errorMessage(error)}`).join('; ');
    const name = formatReference(reference);
    if (failures.every(({ error }) => error instanceof NotFoundError)) {
      throw new NotFoundError(`image ${name} not found (${summary})`);
    }
    const first = failures.find(({ error }) => !(error instanceof NotFoundError))?.error;
    // One endpoint: its error already names it, keep its class. Several: say what each did.
    if (failures.length === 1 && first instanceof BerthError) throw first;
    const code = first instanceof BerthError ? first.code : 'UNAVAILABLE';
    throw new BerthError(code, `pulling ${name}: ${summary}`, { cause: first });
  }

  /**
   * A client of `reference`'s repository allowed to push: on the first endpoint (a mirror when
   * the host has one, as pulls resolve there), with push scope on token registries.
   */
  pushTarget(reference: ImageReference, auth?: RegistryAuth): RepositoryClient {
    const credentials = credentialsFromAuth(auth) ?? credentialsFromDockerConfig(this.dockerConfig, reference.domain);
    const [endpoint] = endpointsFor(reference.domain, this.hosts);
    if (!endpoint) throw new UnavailableError(`no endpoint for registry ${reference.domain}`);
    return new RepositoryClient(endpoint, reference.path, credentials, this.tokens, this.fetchImpl, 'pull,push');
  }

  /**
   * docker login's check: GET /v2/ on `host`'s endpoint with the credentials, answering its
   * challenge. PERMISSION_DENIED when the registry refuses them, UNAVAILABLE when unreachable.
   */
  async checkLogin(host: string, auth: RegistryAuth): Promise<void> {
    const credentials = credentialsFromAuth(auth);
    if (credentials?.kind !== 'basic') throw new InvalidArgumentError('login needs a username and a password');
    const [endpoint] = endpointsFor(host, this.hosts);
    if (!endpoint) throw new UnavailableError(`no endpoint for registry ${host}`);
    const url = `${endpoint.url}/v2/`;
    const get = async (headers: Record<string, string>): Promise<Response> => {
      try {
        return await this.fetchImpl(url, { headers });
      } catch (error) {
        throw new UnavailableError(`cannot reach registry ${endpoint.url}: ${errorMessage(error)}`, { cause: error });
      }
    };
    const first = await get({});
    await discard(first);
    if (first.ok) return;
    if (first.status !== 401) throw new UnavailableError(`registry ${endpoint.host} answered GET /v2/ with HTTP ${first.status}`);
    const challenges = parseChallenges(first.headers.get('www-authenticate') ?? '');
    const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
    // The token endpoint checks the credentials: no scope, as docker login asks.
    const authorization = bearer ? `Bearer ${await this.tokens.token(bearer, '', credentials)}` : basicHeader(credentials.username, credentials.password);
    const second = await get({ authorization });
    await discard(second);
    if (second.status === 401 || second.status === 403) {
      throw new PermissionDeniedError(`login to ${host} refused: unauthorized: incorrect username or password`);
    }
    if (!second.ok) throw new UnavailableError(`registry ${endpoint.host} answered GET /v2/ with HTTP ${second.status}`);
  }
}

/** One repository on one endpoint, with its auth state. */
export class RepositoryClient {
  private authorization: string | undefined;

  constructor(
    readonly endpoint: RegistryEndpoint,
    readonly path: string,
    private readonly credentials: Credentials | undefined,
    private readonly tokens: TokenCache,
    private readonly fetchImpl: FetchLike,
    /** The token scope's actions: "pull", or "pull,push" for a push. */
    private readonly actions: 'pull' | 'pull,push' = 'pull',
    /** The pull's signal: aborting it ends every request and body of this repository. */
    private readonly signal?: AbortSignal,
  ) {}

  /** HEAD /v2/<path>/blobs/<digest>: whether the registry has the blob already. */
  async hasBlob(digest: Digest): Promise<boolean> {
    const response = await this.request(`blobs/${digest}`, {}, { method: 'HEAD' });
    await discard(response);
    if (response.status === 404) return false;
    await this.failUnlessOk(response, `blob ${digest} of ${this.path} at ${this.endpoint.url}`);
    return true;
  }

  /**
   * Uploads a blob monolithically: POST opens a session, one PUT with ?digest= sends the bytes
   * (the registry verifies them against the digest). `open` is called once, for the PUT's body.
   */
  async pushBlob(descriptor: { digest: Digest; size: number }, open: () => Promise<Readable>): Promise<void> {
    const what = `upload of blob ${descriptor.digest} to ${this.path} at ${this.endpoint.url}`;
    const started = await this.request('blobs/uploads/', { 'content-length': '0' }, { method: 'POST' });
    await discard(started);
    await this.failUnlessStatus(started, 202, what);
    const location = started.headers.get('location');
    if (!location) throw new UnavailableError(`${what}: the registry named no upload location`);
    const url = new URL(location, `${this.endpoint.url}/v2/${this.path}/blobs/uploads/`);
    if (url.origin !== new URL(this.endpoint.url).origin) throw new PermissionDeniedError(`${what}: the registry sent the upload to another origin (${url.origin})`);
    url.searchParams.set('digest', descriptor.digest);
    const body = Readable.toWeb(await open()) as unknown as ReadableStream<Uint8Array>;
    const put = await this.request(url.toString(), { 'content-type': 'application/octet-stream', 'content-length': String(descriptor.size) }, { method: 'PUT', body });
    await discard(put);
    await this.failUnlessStatus(put, 201, what);
  }

  /** PUT /v2/<path>/manifests/<tag>; answers the digest the registry reports. */
  async putManifest(tag: string, mediaType: string, bytes: Buffer): Promise<Digest> {
    const what = `manifest ${this.path}:${tag} at ${this.endpoint.url}`;
    const response = await this.request(`manifests/${tag}`, { 'content-type': mediaType }, { method: 'PUT', body: bytes });
    await discard(response);
    await this.failUnlessStatus(response, 201, what);
    const digest = sha256Of(bytes);
    const announced = response.headers.get('docker-content-digest');
    if (announced && announced !== digest) throw new DigestMismatchError(`${what}: the registry stored it as ${announced}, not ${digest}`);
    return digest;
  }

  /** GET /v2/<path>/manifests/<tag|digest>, verified against its digest. */
  async getManifest(tagOrDigest: string): Promise<FetchedManifest> {
    const response = await this.request(`manifests/${tagOrDigest}`, { accept: manifestAccept });
    const what = `manifest ${this.path}:${tagOrDigest} at ${this.endpoint.url}`;
    if (response.status === 404) {
      await discard(response);
      throw new NotFoundError(`${what} not found`);
    }
    await this.failUnlessOk(response, what);
    const bytes = await readLimited(response, maxManifestBytes, what);
    const digest = sha256Of(bytes);
    if (isDigest(tagOrDigest) && digest !== tagOrDigest) {
      throw new DigestMismatchError(`${what}: content hashes to ${digest}; the registry served corrupt or substituted bytes`);
    }
    const announced = response.headers.get('docker-content-digest');
    if (announced && isDigest(announced) && announced !== digest) {
      throw new DigestMismatchError(`${what}: content hashes to ${digest} but the registry announced ${announced}`);
    }
    const mediaType = manifestMediaType(response.headers.get('content-type'), bytes);
    if (schema1Types.has(mediaType)) {
      throw new UnimplementedError(`${what} is a Docker schema 1 manifest, which berth does not support; push the image again with a current client`);
    }
    return { digest, mediaType, size: bytes.length, bytes };
  }

  /** A content-store source for a blob, resuming with an HTTP Range request. */
  blobSource(descriptor: Pick<Descriptor, 'digest'>): BlobSource {
    return async (resumeFrom) => {
      const what = `blob ${descriptor.digest} of ${this.path} at ${this.endpoint.url}`;
      const headers: Record<string, string> = resumeFrom > 0 ? { range: `bytes=${resumeFrom}-` } : {};
      const response = await this.request(`blobs/${descriptor.digest}`, headers);
      if (response.status === 404) {
        await discard(response);
        throw new NotFoundError(`${what} not found`);
      }
      if (response.status === 416 && resumeFrom > 0) {
        // The partial is as long as the blob or longer: start over.
        await discard(response);
        return this.blobSource(descriptor)(0);
      }
      await this.failUnlessOk(response, what);
      let start = 0;
      if (response.status === 206) {
        const range = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
        start = range ? Number(range[1]) : -1;
        if (start !== resumeFrom) {
          await discard(response);
          throw new UnavailableError(`${what}: registry answered a range request with an unexpected Content-Range`);
        }
      }
      if (!response.body) throw new UnavailableError(`${what}: empty response`);
      return { start, body: Readable.fromWeb(response.body as WebReadableStream<Uint8Array>) };
    };
  }

  /**
   * One request below /v2/<path>/ (or to an absolute upload URL), answering a 401 challenge once.
   * A request with a stream body cannot be sent twice: push authenticates with a HEAD first.
   */
  private async request(subpath: string, headers: Record<string, string>, init: { method?: string; body?: Buffer | ReadableStream<Uint8Array> } = {}): Promise<Response> {
    const url = /^https?:\/\//.test(subpath) ? subpath : `${this.endpoint.url}/v2/${this.path}/${subpath}`;
    for (let attempt = 0; ; attempt++) {
      const sent: Record<string, string> = { ...headers };
      if (this.authorization) sent['authorization'] = this.authorization;
      let response: Response;
      try {
        const body = init.body === undefined ? {} : { body: init.body, duplex: 'half' as const };
        const signal = this.signal ? { signal: this.signal } : {};
        response = await this.fetchImpl(url, { method: init.method ?? 'GET', headers: sent, redirect: 'follow', ...body, ...signal } as RequestInit);
      } catch (error) {
        if (this.signal?.aborted) throw abortedError(this.signal, `fetching ${url}`);
        throw new UnavailableError(`cannot reach registry ${this.endpoint.url}: ${errorMessage(error)}`, { cause: error });
      }
      if (response.status !== 401 || attempt > 0 || init.body instanceof ReadableStream) return response;
      const header = response.headers.get('www-authenticate') ?? '';
      await discard(response);
      const challenges = parseChallenges(header);
      const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
      if (bearer) {
        this.authorization = `Bearer ${await this.tokens.token(bearer, `repository:${this.path}:${this.actions}`, this.credentials)}`;
      } else if (challenges.some((challenge) => challenge.scheme === 'basic')) {
        if (this.credentials?.kind !== 'basic') {
          throw new PermissionDeniedError(`registry ${this.endpoint.host} requires a username and password to ${this.actions === 'pull' ? 'pull' : 'push to'} ${this.path} (berth login stores them)`);
        }
        this.authorization = basicHeader(this.credentials.username, this.credentials.password);
      } else {
        throw new PermissionDeniedError(`registry ${this.endpoint.host} answered 401 with no usable challenge (${JSON.stringify(header)})`);
      }
    }
  }

  /** The distribution API answers each write with one status; any other is a failure. */
  private async failUnlessStatus(response: Response, status: number, what: string): Promise<void> {
    if (response.status === status) return;
    await this.failUnlessOk(response, what);
    throw new UnavailableError(`${what}: HTTP ${response.status}, expected ${status}`);
  }

  private async failUnlessOk(response: Response, what: string): Promise<void> {
    if (response.ok) return;
    await discard(response);
    if (response.status === 401 || response.status === 403) {
      throw new PermissionDeniedError(`${what}: access denied (HTTP ${response.status}); check the credentials (berth login)`);
    }
    if (response.status === 429) throw new UnavailableError(`${what}: the registry is rate limiting (HTTP 429); retry later`);
    throw new UnavailableError(`${what}: HTTP ${response.status}`);
  }
}

function manifestMediaType(contentType: string | null, bytes: Buffer): string {
  const fromHeader = contentType?.split(';')[0]?.trim();
  if (fromHeader && fromHeader !== 'application/json' && fromHeader !== 'text/plain') return fromHeader;
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown; manifests?: unknown };
    if (typeof parsed.mediaType === 'string') return parsed.mediaType;
    return Array.isArray(parsed.manifests) ? mediaTypes.ociIndex : mediaTypes.ociManifest;
  } catch {
    return fromHeader ?? 'application/octet-stream';
  }
}

async function readLimited(response: Response, limit: number, what: string): Promise<Buffer> {
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > limit) {
    await discard(response);
    throw new ResourceExhaustedError(`${what} is ${length} bytes, over the ${limit}-byte manifest limit: refusing it`);
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)) {
    total += (chunk as Buffer).length;
    // Throwing ends the iteration, which cancels the body: the rest is never read.
    if (total > limit) throw new ResourceExhaustedError(`${what} is over the ${limit}-byte manifest limit: refusing it`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
