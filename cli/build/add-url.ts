// ADD https://...: the file fetched by the CLI (not in a container), named by the URL's last path
// element, mode 0600 as docker writes it. Where the machine has no network the fetch fails, and
// the build stops saying so and how to go on without it.
import { posix } from 'node:path';
import { FailedPreconditionError } from '../../common/errors.js';
import type { SourceGroup } from './copy-sources.js';

export async function fetchUrlGroup(url: string): Promise<SourceGroup> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(30_000), redirect: 'follow' });
  } catch (error) {
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    throw new FailedPreconditionError(`ADD ${url}: the URL cannot be fetched from this machine (${reason}); download the file into the build context and COPY it instead`);
  }
  if (!response.ok) throw new FailedPreconditionError(`ADD ${url}: the server answered ${response.status} ${response.statusText}`);
  const content = Buffer.from(await response.arrayBuffer());
  const name = posix.basename(new URL(url).pathname) || 'index.html';
  const modified = response.headers.get('last-modified');
  return { kind: 'single', records: [{ name, type: 'file', mode: 0o600, uid: 0, gid: 0, mtime: modified ? new Date(modified) : new Date(0), content }] };
}
