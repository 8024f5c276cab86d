// `berth ps`, `logs`, `exec`, `stop`, `rm`, `inspect`, `pull` and `images`: docker's everyday commands over
// any CRI runtime's socket. They show every container of the runtime (the kubelet's too, named
// pod/container); stop and rm take a CLI container's pod with it, as `berth run` made one per
// container.
import { posix } from 'node:path';
import { FileTail } from '../../common/file-tail.js';
import { FailedPreconditionError, InvalidArgumentError } from '../../common/errors.js';
import { RemoteCommandDetached, streamRemoteCommand } from '../../cri/client/remote-command-client.js';
import { authForImage } from '../images/docker-config.js';
import { unitSize } from './container-report.js';
import { columns, formatTable, statusText, type ContainerRow } from './container-table.js';
import type { CriSession, ListedContainer } from './cri-session.js';
import { CriLogDecoder, followLog, lastLines, LogPrinter, type LogWriters } from './log-output.js';
import { removeCliPod } from './remove-pod.js';
import { cliNameLabel } from './run-plan.js';
import { openLocalIo } from './terminal.js';
import { formatRows } from '../format-template.js';
import { psFields, selectContainers, type PsFilters } from './ps-selection.js';
import { recordedInfo } from './recorded-info.js';

const isRunning = (listed: ListedContainer) => listed.container.state === 'CONTAINER_RUNNING';
const isCliContainer = (listed: ListedContainer) => listed.container.labels?.[cliNameLabel] !== undefined;

export interface PsOptions {
  all: boolean;
  quiet: boolean;
  noTrunc: boolean;
  filters: PsFilters;
  last?: number | undefined;
  latest: boolean;
  format?: string | undefined;
}

/** The command line the runtime recorded (berth's verbose status); [] where it says none. */
function recordedCommand(info: Record<string, string> | undefined): string[] {
  const config = recordedInfo<{ command?: string[]; args?: string[] }>(info).config;
  return [...(config?.command ?? []), ...(config?.args ?? [])];
}

export async function listContainers(session: CriSession, options: PsOptions, out: LogWriters['stdout']): Promise<void> {
  const candidates = (await session.containers()).map((listed) => ({
    ...listed,
    image: listed.container.image?.image || listed.container.imageRef,
    state: listed.container.state,
    labels: listed.container.labels ?? {},
    createdAt: listed.container.createdAt,
  }));
  const shown = selectContainers(candidates, options);
  if (options.quiet) {
    for (const listed of shown) out.write(`${options.noTrunc ? listed.id : listed.id.slice(0, 12)}\n`);
    return;
  }
  const now = Date.now();
  const details = await Promise.all(shown.map((listed) => session.client.containerStatus(listed.id, options.format !== undefined)));
  const statuses = details.map(({ status }) => (status ? statusText(status, now) : 'Unknown'));
  if (options.format !== undefined) {
    const rows = shown.map((listed, index) => psFields(listed, { status: statuses[index] ?? 'Unknown', command: recordedCommand(details[index]?.info), noTrunc: options.noTrunc }, now));
    out.write(formatRows(options.format, rows, { ID: 'CONTAINER ID', RunningFor: 'CREATED', Names: 'NAMES', CreatedAt: 'CREATED AT' }));
    return;
  }
  const rows: ContainerRow[] = shown.map((listed, index) => ({ id: listed.id, image: listed.image, createdAt: listed.createdAt, status: statuses[index] ?? 'Unknown', name: listed.name }));
  out.write(formatTable(rows, now, { noTrunc: options.noTrunc }));
}

export async function showLogs(session: CriSession, reference: string, options: { follow: boolean; timestamps: boolean; tail?: number }, io: LogWriters): Promise<void> {
  const { id } = await session.find(reference);
  const { status } = await session.client.containerStatus(id);
  if (!status?.logPath) throw new FailedPreconditionError(`container ${reference} has no log file (its pod has no log directory)`);
  const file = new FileTail(status.logPath);
  const decoder = new CriLogDecoder();
  const printer = new LogPrinter(io, options.timestamps);
  const existing = decoder.feed(await file.readNew());
  printer.print(options.tail === undefined ? existing : lastLines(existing, options.tail));
  if (!options.follow) return;
  const stopped = new Promise<void>((resolve) => process.once('SIGINT', resolve));
  await followLog(file, decoder, printer, {
    running: async () => (await session.client.containerStatus(id)).status?.state === 'CONTAINER_RUNNING',
    stopped,
  });
}

export interface ExecFlags {
  /** With a timeout the command runs through ExecSync, its output printed once it ends. */
  timeoutSeconds: number;
  interactive: boolean;
  tty: boolean;
}

/** The command's exit code. Without a timeout its output streams as it comes, like docker exec. */
export async function execInContainer(session: CriSession, reference: string, command: readonly string[], flags: ExecFlags, io: LogWriters): Promise<number> {
  const listed = await session.find(reference);
  if (!isRunning(listed)) throw new FailedPreconditionError(`container ${reference} is not running`);
  if (flags.timeoutSeconds > 0) {
    if (flags.interactive || flags.tty) throw new InvalidArgumentError('--timeout runs the command without a terminal or input: drop -i/-t or --timeout');
    const result = await session.client.execSync(listed.id, [...command], flags.timeoutSeconds);
    io.stdout.write(result.stdout);
    io.stderr.write(result.stderr);
    return result.exitCode;
  }
  const local = openLocalIo(flags, io);
  try {
    const { url } = await session.client.exec({ containerId: listed.id, cmd: [...command], tty: flags.tty, stdin: flags.interactive, stdout: true, stderr: !flags.tty });
    return await streamRemoteCommand(url, local.io);
  } catch (error) {
    if (!(error instanceof RemoteCommandDetached)) throw error;
    io.stderr.write(`\r\nberth: detached; the command goes on in ${reference}\r\n`);
    return 0;
  } finally {
    local.restore();
  }
}

export async function stopContainers(session: CriSession, references: readonly string[], timeoutSeconds: number, out: LogWriters['stdout']): Promise<void> {
  for (const reference of references) {
    const listed = await session.find(reference);
    await session.client.stopContainer(listed.id, timeoutSeconds);
    // The pod held only this container: stopping it frees its address.
    if (isCliContainer(listed)) await session.client.stopPodSandbox(listed.container.podSandboxId);
    out.write(`${reference}\n`);
  }
}

export async function removeContainers(session: CriSession, references: readonly string[], force: boolean, out: LogWriters['stdout']): Promise<void> {
  for (const reference of references) {
    const listed = await session.find(reference);
    if (isRunning(listed) && !force) {
      throw new FailedPreconditionError(`container ${reference} is running: stop it first (berth stop ${reference}) or remove it with -f`);
    }
    if (isCliContainer(listed)) {
      const { status } = await session.client.containerStatus(listed.id);
      await removeCliPod(session, listed.container.podSandboxId, status?.logPath ? posix.dirname(status.logPath) : '');
    } else {
      if (isRunning(listed)) await session.client.stopContainer(listed.id, 0);
      await session.client.removeContainer(listed.id);
    }
    out.write(`${reference}\n`);
  }
}

/** docker inspect's role: the runtime's own record of each container, as crictl inspect prints it. */
export async function inspectContainers(session: CriSession, references: readonly string[], out: LogWriters['stdout']): Promise<void> {
  const records: unknown[] = [];
  for (const reference of references) {
    const listed = await session.find(reference);
    const { status, info } = await session.client.containerStatus(listed.id, true);
    const parsedInfo: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(info ?? {})) {
      try {
        parsedInfo[key] = JSON.parse(value);
      } catch {
        parsedInfo[key] = value;
      }
    }
    records.push({ status, info: parsedInfo });
  }
  out.write(`${JSON.stringify(records, null, 2)}\n`);
}

/** Pulls with a line before and after on `progress` (a pull can take minutes); the image's ref. */
export async function pullWithProgress(session: CriSession, image: string, progress: LogWriters['stderr']): Promise<string> {
  const started = Date.now();
  progress.write(`Pulling ${image}...\n`);
  // The credentials `berth login` stored for the image's registry go with the request.
  const { imageRef } = await session.client.pullImage(image, await authForImage(image));
  progress.write(`Pulled ${image} (${imageRef}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return imageRef;
}

export async function pullImage(session: CriSession, image: string, io: LogWriters): Promise<void> {
  io.stdout.write(`${await pullWithProgress(session, image, io.stderr)}\n`);
}

/** Docker's (go-units') HumanSizeWithPrecision(bytes, 3): decimal units, 3 significant digits. */
export const humanSize = (bytes: number): string => unitSize(bytes, 1000, ['B', 'kB', 'MB', 'GB', 'TB', 'PB'], 3);

export async function listImages(session: CriSession, out: LogWriters['stdout']): Promise<void> {
  const { images } = await session.client.listImages();
  const rows: string[][] = [];
  for (const image of images) {
    const size = humanSize(Number(image.size || '0'));
    const id = image.id.replace(/^sha256:/, '').slice(0, 12);
    const tags = image.repoTags.length > 0 ? image.repoTags : ['<none>:<none>'];
    for (const tag of tags) {
      const colon = tag.lastIndexOf(':');
      rows.push([tag.slice(0, colon), tag.slice(colon + 1), id, size]);
    }
  }
  out.write(columns([['REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'], ...rows]));
}
