// docker's volume commands on berth: volume create, ls, inspect, rm and prune, clients of
// berth.v1.Volumes on the runtime's socket.
import { BerthError, InvalidArgumentError } from '../../common/errors.js';
import type { BerthVolumesClient } from '../../cri/client/berth-volumes-client.js';
import { humanSize } from '../containers/container-commands.js';
import { confirmPrune } from '../prompt.js';
import { volumeFilter, volumeInspect, volumeList } from './volume-output.js';

export interface VolumeIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** KEY=VALUE pairs of --label / --opt; a bare KEY has an empty value, as in docker. */
export function keyValues(flag: string, entries: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    const key = equals < 0 ? entry : entry.slice(0, equals);
    if (key === '') throw new InvalidArgumentError(`${flag} "${entry}": the key is empty`);
    result[key] = equals < 0 ? '' : entry.slice(equals + 1);
  }
  return result;
}

export async function createVolume(client: BerthVolumesClient, name: string | undefined, options: { driver: string; label: string[]; opt: string[] }, io: VolumeIo): Promise<void> {
  const volume = await client.create({
    name: name ?? '',
    driver: options.driver,
    labels: keyValues('--label', options.label),
    driverOptions: keyValues('--opt', options.opt),
    anonymous: false,
  });
  io.stdout.write(`${volume.name}\n`);
}

export async function listVolumes(client: BerthVolumesClient, options: { quiet: boolean; format?: string; filter: string[] }, io: VolumeIo): Promise<void> {
  const keep = volumeFilter(options.filter);
  const { volumes } = await client.list();
  io.stdout.write(volumeList(volumes.filter(keep), options));
}

/** docker volume inspect: the volumes found are printed; each one missing is an error after them. */
export async function inspectVolumes(client: BerthVolumesClient, names: readonly string[], format: string | undefined, io: VolumeIo): Promise<number> {
  const found = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      found.push(await client.inspect(name));
    } catch (error) {
      if (!(error instanceof BerthError)) throw error;
      errors.push(error.message.replace(/^Inspect: /, ''));
    }
  }
  if (found.length > 0 || errors.length === 0) io.stdout.write(volumeInspect(found, format));
  for (const error of errors) io.stderr.write(`Error response from daemon: ${error}\n`);
  return errors.length > 0 ? 1 : 0;
}

/** docker volume rm: each in turn, the name printed once removed; a failure is reported and the rest still go. */
export async function removeVolumes(client: BerthVolumesClient, names: readonly string[], force: boolean, io: VolumeIo): Promise<number> {
  let exitCode = 0;
  for (const name of names) {
    try {
      if ((await client.remove(name, force)).removed || force) io.stdout.write(`${name}\n`);
    } catch (error) {
      if (!(error instanceof BerthError)) throw error;
      io.stderr.write(`Error response from daemon: ${error.message.replace(/^Remove: /, '')}\n`);
      exitCode = 1;
    }
  }
  return exitCode;
}

const pruneWarnings = {
  anonymous: 'WARNING! This will remove anonymous local volumes not used by at least one container.',
  all: 'WARNING! This will remove all local volumes not used by at least one container.',
};

export async function pruneVolumes(client: BerthVolumesClient, options: { all: boolean; force: boolean }, io: VolumeIo): Promise<void> {
  if (!options.force) await confirmPrune(io, options.all ? pruneWarnings.all : pruneWarnings.anonymous, 'volume prune');
  const { deleted, reclaimedBytes } = await client.prune(options.all);
  if (deleted.length > 0) io.stdout.write(`Deleted Volumes:\n${deleted.map((name) => `${name}\n`).join('')}\n`);
  io.stdout.write(`Total reclaimed space: ${humanSize(Number(reclaimedBytes || '0'))}\n`);
}
