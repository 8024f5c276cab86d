// `berth kill` and `berth rename`: docker's, through berth.v1.Containers (the CRI can only stop
// a container, with its own stop signal, and names are fixed at create).
import { errorMessage } from '../../common/errors.js';
import type { ContainersApi } from './berth-api.js';
import type { LogWriters } from './log-output.js';

/** Sends `signal` to each container, printing each as named; the ones that failed are reported after. */
export async function killContainers(api: ContainersApi, references: readonly string[], signal: string, io: LogWriters): Promise<number> {
  let exitCode = 0;
  for (const reference of references) {
    try {
      const { id } = await api.session.find(reference);
      await api.client.kill(id, signal);
      io.stdout.write(`${reference}\n`);
    } catch (error) {
      io.stderr.write(`berth: ${errorMessage(error)}\n`);
      exitCode = 1;
    }
  }
  return exitCode;
}

export async function renameContainer(api: ContainersApi, reference: string, name: string): Promise<void> {
  const { id } = await api.session.find(reference);
  await api.client.rename(id, name);
}
