// `berth cp`: docker cp in both directions, through berth.v1.Containers. The container side is
// read and written by the runtime inside the container's root (no container symlink reaches the
// host); this side is the user's own filesystem. Where a copy lands follows docker's rules
// (common/archive/copy-plan.ts); `-` reads or writes a tar stream instead of a path.
import { lstat, realpath, stat } from 'node:fs/promises';
import { dirname, basename, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pack as tarPack } from 'tar-stream';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { InvalidArgumentError, NotFoundError } from '../../common/errors.js';
import { namesContents } from '../../common/archive/archive-paths.js';
import { planCopy, type DestinationKind } from '../../common/archive/copy-plan.js';
import { HostTree } from '../../common/archive/host-tree.js';
import { packTree } from '../../common/archive/pack-tree.js';
import { unpackTree } from '../../common/archive/unpack-tree.js';
import { CriCallError } from '../../cri/client/cri-client.js';
import type { ContainersApi } from './berth-api.js';

export interface CopyFlags {
  archive: boolean;
  followLink: boolean;
}

export interface CopyIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
}

/** `CONTAINER:PATH` split; a plain path (one with a `/` before any `:`, or none) is local. */
export function splitCopyArgument(argument: string): { container: string; path: string } | { local: string } {
  const colon = argument.indexOf(':');
  if (colon <= 0 || argument.slice(0, colon).includes('/')) return { local: argument };
  return { container: argument.slice(0, colon), path: argument.slice(colon + 1) };
}

const directoryMode = 0o040000;
const isDirectoryMode = (mode: number) => (mode & 0o170000) === directoryMode;

export async function copy(api: ContainersApi, sourceArgument: string, destinationArgument: string, flags: CopyFlags, io: CopyIo): Promise<void> {
  const source = splitCopyArgument(sourceArgument);
  const destination = splitCopyArgument(destinationArgument);
  if ('container' in source && 'container' in destination) throw new InvalidArgumentError('copying between containers is not supported: copy to the host, then into the other container');
  if ('local' in source && 'local' in destination) throw new InvalidArgumentError('must specify at least one container source (CONTAINER:PATH)');
  if ('container' in source && 'local' in destination) return copyOut(api, source, destination.local, flags, io);
  if ('local' in source && 'container' in destination) return copyIn(api, source.local, destination, flags, io);
}

function checkContainerPath(path: string): void {
  if (path === '') throw new InvalidArgumentError('the path in the container is empty: write CONTAINER:/PATH');
}

async function copyOut(api: ContainersApi, source: { container: string; path: string }, destination: string, flags: CopyFlags, io: CopyIo): Promise<void> {
  checkContainerPath(source.path);
  const { id } = await api.session.find(source.container);
  const { stat: found, tar } = await api.client.copyFrom({ container: id, path: absolute(source.path), followLink: flags.followLink });
  if (destination === '-') {
    for await (const chunk of tar) {
      if (!io.stdout.write(chunk)) await new Promise((drained) => io.stdout.once('drain', drained));
    }
    return;
  }
  const plan = planCopy({ path: source.path, isDirectory: isDirectoryMode(found.mode) }, { path: destination, kind: await hostKind(destination) });
  const into = resolve(plan.into);
  if ((await hostKind(into)) !== 'directory') throw new NotFoundError(`no such directory on this host: ${plan.into}`);
  await unpackTree(new HostTree(into), Readable.from(tar), { into: [], top: plan.top ?? null, owner: flags.archive ? 'archive' : undefined });
}

async function copyIn(api: ContainersApi, source: string, destination: { container: string; path: string }, flags: CopyFlags, io: CopyIo): Promise<void> {
  checkContainerPath(destination.path);
  const { id } = await api.session.find(destination.container);
  const target = absolute(destination.path);
  if (source === '-') {
    await api.client.copyTo({ container: id, path: target, copyUidGid: flags.archive }, io.stdin as AsyncIterable<Uint8Array>);
    return;
  }
  // This host is the user's own: -L follows a symlink here as the system does; without it a
  // symlink is copied as the symlink it is.
  const local = resolve(source);
  const found = await (flags.followLink || namesContents(source) ? stat(local) : lstat(local)).catch(() => undefined);
  if (!found) throw new NotFoundError(`no such file or directory on this host: ${source}`);
  const plan = planCopy({ path: source, isDirectory: found.isDirectory() }, { path: target, kind: await containerKind(api, id, target) });
  const start = namesContents(source) || flags.followLink ? await realpath(local) : local;
  const tar = tarPack();
  void packTree(new HostTree(dirname(start)), [basename(start)], tar, { top: plan.top === undefined ? [] : [plan.top] })
    .then(() => tar.finalize())
    .catch((error: unknown) => tar.destroy(error as Error));
  // Read as an async iterable: an error while packing then fails the copy instead of ending the tar early.
  await api.client.copyTo({ container: id, path: plan.into, copyUidGid: flags.archive }, tar as unknown as AsyncIterable<Uint8Array>);
}

const absolute = (path: string) => (path.startsWith('/') ? path : `/${path}`);

async function hostKind(path: string): Promise<DestinationKind> {
  const found = await stat(path).catch(() => undefined);
  return !found ? 'missing' : found.isDirectory() ? 'directory' : 'other';
}

async function containerKind(api: ContainersApi, id: string, path: string): Promise<DestinationKind> {
  try {
    return isDirectoryMode((await api.client.statPath(id, path)).mode) ? 'directory' : 'other';
  } catch (error) {
    if (error instanceof CriCallError && error.grpcCode === GrpcStatus.NOT_FOUND) return 'missing';
    throw error;
  }
}
