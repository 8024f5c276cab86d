// `berth diff` and `berth export`: docker's, through berth.v1.Containers.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { InvalidArgumentError } from '../../common/errors.js';
import type { ContainersApi } from './berth-api.js';

export async function showChanges(api: ContainersApi, reference: string, out: NodeJS.WritableStream): Promise<void> {
  const { id } = await api.session.find(reference);
  const { changes } = await api.client.changes(id);
  out.write(changes.map((change) => `${change.kind} ${change.path}\n`).join(''));
}

export async function exportContainer(api: ContainersApi, reference: string, output: string | undefined, stdout: NodeJS.WritableStream & { isTTY?: boolean }): Promise<void> {
  if (output === undefined && stdout.isTTY) throw new InvalidArgumentError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const { id } = await api.session.find(reference);
  const tar = Readable.from(api.client.export(id));
  await pipeline(tar, output === undefined ? stdout : createWriteStream(output));
}
