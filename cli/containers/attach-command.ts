// `berth attach`: docker attach over the CRI's Attach. The container's own terminal and stdin
// settings decide the session (a terminal in raw mode, or stdout and stderr apart); with
// --sig-proxy (docker's default) SIGINT and SIGTERM to the CLI go to the container through
// berth.v1.Containers/Kill, as docker forwards them. Ends with the container's exit code, or 0
// when the detach keys (Ctrl-P Ctrl-Q on a terminal) leave it running.
import { FailedPreconditionError } from '../../common/errors.js';
import { RemoteCommandDetached, streamRemoteCommand } from '../../cri/client/remote-command-client.js';
import type { ContainersApi } from './berth-api.js';
import type { LogWriters } from './log-output.js';
import { waitForExit } from './run-command.js';
import { openLocalIo } from './terminal.js';
import { recordedInfo } from './recorded-info.js';

export interface AttachOptions {
  /** docker's --no-stdin: do not send this process's input even when the container takes it. */
  noStdin: boolean;
  sigProxy: boolean;
}

interface RecordedIo {
  tty?: boolean;
  stdin?: boolean;
}

export async function attachContainer(api: ContainersApi, reference: string, options: AttachOptions, io: LogWriters): Promise<number> {
  const { session } = api;
  const { id, name } = await session.find(reference);
  const { status, info } = await session.client.containerStatus(id, true);
  if (status?.state !== 'CONTAINER_RUNNING') throw new FailedPreconditionError(`You cannot attach to a stopped container, start it first (${name} is ${status?.state ?? 'unknown'})`);
  const recorded = recordedInfo<RecordedIo>(info).config ?? {};
  const tty = recorded.tty ?? false;
  const stdin = (recorded.stdin ?? false) && !options.noStdin;
  const forward = (signal: NodeJS.Signals) => () => void api.client.kill(id, signal).catch(() => undefined);
  // With a terminal in raw mode Ctrl-C is a key for the container, not a signal here.
  const handlers = options.sigProxy && !(tty && stdin) ? (['SIGINT', 'SIGTERM'] as const).map((signal) => ({ signal, handler: forward(signal) })) : [];
  for (const { signal, handler } of handlers) process.on(signal, handler);
  const local = openLocalIo({ interactive: stdin, tty }, io);
  try {
    const { url } = await session.client.attach({ containerId: id, stdin, tty, stdout: true, stderr: !tty });
    await streamRemoteCommand(url, local.io);
  } catch (error) {
    if (error instanceof RemoteCommandDetached) {
      io.stderr.write(`\r\nberth: detached from ${name}, which goes on running\r\n`);
      return 0;
    }
    throw error;
  } finally {
    local.restore();
    for (const { signal, handler } of handlers) process.off(signal, handler);
  }
  return (await waitForExit(session, id)) ?? 0;
}
