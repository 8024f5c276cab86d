// The registry client's push side against a small in-process registry: the bearer token is asked
// for with push scope, a blob goes up as POST + one PUT to the upload location with its digest,
// a registry sending the upload elsewhere is refused, a manifest PUT is checked against the
// digest the registry reports; login answers the challenge with the credentials.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { PermissionDeniedError } from '../../../common/errors.js';
import { sha256Of } from '../../../runtime/images/digest.js';
import { parseReference } from '../../../runtime/images/reference.js';
import { RegistryClient } from '../../../runtime/images/registry-client.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

interface Seen {
  method: string;
  url: string;
  authorization: string;
  body: string;
}

/** A registry that wants bearer tokens (from /token) and records every request. */
async function fakeRegistry(answer: (seen: Seen, res: ServerResponse, base: string) => void): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization ?? '', body: Buffer.concat(chunks).toString() };
      seen.push(entry);
      if (entry.url.startsWith('/token')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'tok' }));
      } else if (!entry.authorization) {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="test"` }).end();
      } else {
        answer(entry, res, base);
      }
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, seen };
}

const blob = Buffer.from('layer bytes');
const digest = sha256Of(blob);
const clientFor = (base: string) => new RegistryClient({ hosts: { mirrors: { 'registry.example': [base] }, mirrorsReplace: true } });

describe('push through the registry client', () => {
  it('asks for a push-scoped token, then uploads with POST and one PUT carrying the digest', async () => {
    const { base, seen } = await fakeRegistry((entry, res) => {
      if (entry.method === 'HEAD') res.writeHead(404).end();
      else if (entry.method === 'POST') res.writeHead(202, { location: '/v2/team/app/blobs/uploads/u1?_state=s' }).end();
      else res.writeHead(201).end();
    });
    const repository = clientFor(base).pushTarget(parseReference('registry.example/team/app:1'));
    expect(await repository.hasBlob(digest)).toBe(false);
    await repository.pushBlob({ digest, size: blob.length }, async () => Readable.from([blob]));
    const token = seen.find((entry) => entry.url.startsWith('/token'));
    expect(new URLSearchParams(token?.url.split('?')[1]).getAll('scope')).toEqual(['repository:team/app:pull,push']);
    const put = seen.find((entry) => entry.method === 'PUT');
    expect(put?.url).toBe(`/v2/team/app/blobs/uploads/u1?_state=s&digest=${encodeURIComponent(digest)}`);
    expect(put?.body).toBe('layer bytes');
    expect(put?.authorization).toBe('Bearer tok');
  });

  it('refuses an upload location on another origin', async () => {
    const { base } = await fakeRegistry((entry, res) => {
      res.writeHead(entry.method === 'POST' ? 202 : 200, entry.method === 'POST' ? { location: 'http://elsewhere.example/upload' } : {}).end();
    });
    const repository = clientFor(base).pushTarget(parseReference('registry.example/team/app:1'));
    expect(await repository.hasBlob(digest)).toBe(true);
    await expect(repository.pushBlob({ digest, size: blob.length }, async () => Readable.from([blob]))).rejects.toThrow(/another origin/);
  });

  it('checks a manifest PUT against the digest the registry reports', async () => {
    const manifest = Buffer.from('{"schemaVersion":2}');
    const { base } = await fakeRegistry((_entry, res) => {
      res.writeHead(201, { 'docker-content-digest': sha256Of('other') }).end();
    });
    const repository = clientFor(base).pushTarget(parseReference('registry.example/team/app:1'));
    await expect(repository.putManifest('1', 'application/vnd.oci.image.manifest.v1+json', manifest)).rejects.toThrow(/stored it as/);
  });

  it('says which status a failed upload got', async () => {
    const { base } = await fakeRegistry((_entry, res) => res.writeHead(403).end());
    const repository = clientFor(base).pushTarget(parseReference('registry.example/team/app:1'));
    await expect(repository.pushBlob({ digest, size: blob.length }, async () => Readable.from([blob]))).rejects.toThrow(PermissionDeniedError);
  });
});

describe('login through the registry client', () => {
  it('gets a token with the credentials from the realm the registry names', async () => {
    const { base, seen } = await fakeRegistry((_entry, res) => res.writeHead(200).end());
    await clientFor(base).checkLogin('registry.example', { username: 'me', password: 'pw' });
    const token = seen.find((entry) => entry.url.startsWith('/token'));
    expect(token?.authorization).toBe(`Basic ${Buffer.from('me:pw').toString('base64')}`);
    expect(seen.at(-1)).toMatchObject({ url: '/v2/', authorization: 'Bearer tok' });
  });

  it('is refused when the registry refuses the token', async () => {
    const { base } = await fakeRegistry((_entry, res) => res.writeHead(401).end());
    await expect(clientFor(base).checkLogin('registry.example', { username: 'me', password: 'pw' })).rejects.toThrow(/incorrect username or password/);
  });
});
