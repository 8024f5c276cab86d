import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PermissionDeniedError } from '../../../common/errors.js';
import { credentialsFromAuth, credentialsFromDockerConfig, parseChallenges, TokenCache } from '../../../runtime/images/auth.js';
import { sha256Of } from '../../../runtime/images/digest.js';
import { parseReference } from '../../../runtime/images/reference.js';
import { RegistryClient } from '../../../runtime/images/registry-client.js';

describe('WWW-Authenticate parsing', () => {
  it.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } }],
    ],
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    ['bearer realm=https://x/t, service=svc', [{ scheme: 'bearer', params: { realm: 'https://x/t', service: 'svc' } }]],
    [
      'Basic realm="a", Bearer realm="https://t",scope="repository:a:pull,push"',
      [
        { scheme: 'basic', params: { realm: 'a' } },
        { scheme: 'bearer', params: { realm: 'https://t', scope: 'repository:a:pull,push' } },
      ],
    ],
    ['Bearer realm="with \\"quote\\""', [{ scheme: 'bearer', params: { realm: 'with "quote"' } }]],
    ['', []],
    ['Bearer realm="unterminated', [{ scheme: 'bearer', params: { realm: 'unterminated' } }]],
    ['=== ,,, "', []],
  ])('parses %j', (header, expected) => {
    expect(parseChallenges(header)).toEqual(expected);
  });
});

describe('credentials', () => {
  it.each([
    [
      { username: 'u', password: 'p' },
      { kind: 'basic', username: 'u', password: 'p' },
    ],
    [{ auth: Buffer.from('u:p:x').toString('base64') }, { kind: 'basic', username: 'u', password: 'p:x' }],
    [{ identityToken: 'refresh' }, { kind: 'identity-token', token: 'refresh' }],
    [{ registryToken: 'bearer' }, { kind: 'registry-token', token: 'bearer' }],
    [{}, undefined],
  ])('reads CRI auth %j', (auth, expected) => {
    expect(credentialsFromAuth(auth)).toEqual(expected);
  });

  it('finds docker.io credentials under the legacy index URL in config.json', () => {
    const config = { auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('me:secret').toString('base64') } } };
    expect(credentialsFromDockerConfig(config, 'docker.io')).toEqual({ kind: 'basic', username: 'me', password: 'secret' });
  });

  it('finds a registry by host:port in config.json', () => {
    const config = { auths: { '127.0.0.1:5000': { auth: Buffer.from('a:b').toString('base64') } } };
    expect(credentialsFromDockerConfig(config, '127.0.0.1:5000')).toEqual({ kind: 'basic', username: 'a', password: 'b' });
    expect(credentialsFromDockerConfig(config, 'other:5000')).toBeUndefined();
  });
});

// A local HTTP server stands in for a token-authenticated registry: docker-registry's own
// token auth needs a JWT issuer with a certificate chain, so the challenge/token flow is
// exercised here and basic auth against the real registry in the integration tier.
describe('bearer token flow', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function serve(handler: (req: IncomingMessage, res: ServerResponse, base: string) => void): Promise<string> {
    server = createServer((req, res) => handler(req, res, base));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return base;
  }

  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] }));

  function registryWithTokens(options: { user?: string }) {
    const tokenRequests: string[] = [];
    const handler = (req: IncomingMessage, res: ServerResponse, base: string): void => {
      const url = new URL(req.url ?? '/', base);
      if (url.pathname === '/token') {
        tokenRequests.push(url.search);
        const expected = options.user ? `Basic ${Buffer.from(options.user).toString('base64')}` : undefined;
        if (expected && req.headers.authorization !== expected) {
          res.writeHead(401).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'tok-1', expires_in: 300 }));
        return;
      }
      if (req.headers.authorization !== 'Bearer tok-1') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="test-registry",scope="repository:team/app:pull"` }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest);
    };
    return { tokenRequests, handler };
  }

  it('fetches an anonymous token for the challenged scope and retries with it', async () => {
    const fake = registryWithTokens({});
    const base = await serve(fake.handler);
    const client = new RegistryClient({ hosts: { mirrors: { 'registry.example': [base] } } });
    const { manifest: got } = await client.resolve(parseReference('registry.example/team/app:1'));
    expect(got.digest).toBe(sha256Of(manifest));
    expect(new URLSearchParams(fake.tokenRequests[0]).get('service')).toBe('test-registry');
    expect(new URLSearchParams(fake.tokenRequests[0]).getAll('scope')).toEqual(['repository:team/app:pull']);
  });

  it('sends basic credentials to the token endpoint when the pull has them', async () => {
    const fake = registryWithTokens({ user: 'me:pw' });
    const base = await serve(fake.handler);
    const client = new RegistryClient({ hosts: { mirrors: { 'registry.example': [base] } } });
    const { manifest: got } = await client.resolve(parseReference('registry.example/team/app:1'), { username: 'me', password: 'pw' });
    expect(got.digest).toBe(sha256Of(manifest));
  });

  it('refuses with PermissionDenied when the token endpoint rejects the credentials', async () => {
    const fake = registryWithTokens({ user: 'me:pw' });
    const base = await serve(fake.handler);
    const client = new RegistryClient({ hosts: { mirrors: { 'registry.example': [base] } } });
    await expect(client.resolve(parseReference('registry.example/team/app:1'), { username: 'me', password: 'wrong' })).rejects.toThrow(PermissionDeniedError);
  });

  it('reuses a cached token for the same scope', async () => {
    const fake = registryWithTokens({});
    const base = await serve(fake.handler);
    const tokens = new TokenCache();
    const challenge = { scheme: 'bearer', params: { realm: `${base}/token`, service: 's' } };
    expect(await tokens.token(challenge, 'repository:a:pull', undefined)).toBe('tok-1');
    expect(await tokens.token(challenge, 'repository:a:pull', undefined)).toBe('tok-1');
    expect(fake.tokenRequests).toHaveLength(1);
  });

  it('posts an identity token as an OAuth2 refresh token', async () => {
    let form: URLSearchParams | undefined;
    const base = await serve((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        form = new URLSearchParams(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'oauth-tok' }));
      });
    });
    const token = await new TokenCache().token({ scheme: 'bearer', params: { realm: `${base}/token`, service: 's' } }, 'repository:a:pull', {
      kind: 'identity-token',
      token: 'refresh-me',
    });
    expect(token).toBe('oauth-tok');
    expect(form?.get('grant_type')).toBe('refresh_token');
    expect(form?.get('refresh_token')).toBe('refresh-me');
  });
});
