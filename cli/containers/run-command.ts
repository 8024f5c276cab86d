// `berth run`: docker run's workflow over the CRI. Pull the image if the store lacks it, run a pod
// sandbox for the container, create and start it, then either print its ID (-d) or follow its
// output and exit with its exit code, removing everything with --rm. A failure part way removes
// what was made, so a refused run leaves nothing behind.
//
// Input (-i) goes in through Attach, which CRI runtimes allow only once the container runs. Its
// output is read from the log, which has every byte from the start; only -it, where keys must
// echo at once, takes its output from the attach too, and like kubectl says to press enter when
// the first prompt came before the attach.
import { randomUUID } from 'node:crypto';
import { AlreadyExistsError, errorMessage, FailedPreconditionError, InvalidArgumentError } from '../../common/errors.js';
import { FileTail } from '../../common/file-tail.js';
import { RemoteCommandDetached, streamRemoteCommand } from '../../cri/client/remote-command-client.js';
import { pullWithProgress } from './container-commands.js';
import { CriLogDecoder, followLog, LogPrinter, type LogWriters } from './log-output.js';
import { removeCliPod } from './remove-pod.js';
import { planRun, type RunFlags, type RunPlan } from './run-plan.js';
import type { CriSession } from './cri-session.js';
import { checkLocalTerminal, openLocalIo } from './terminal.js';
import { provideVolumes, removeAnonymousVolumes } from '../volumes/volumes-api.js';

export interface RunOptions extends RunFlags {
  detach: boolean;
  rm: boolean;
  pull: 'missing' | 'always' | 'never';
  logRoot: string;
}

export async function ensureImage(session: CriSession, image: string, pull: RunOptions['pull'], progress: LogWriters['stderr']): Promise<void> {
  if (pull !== 'always') {
    const { image: found } = await session.client.imageStatus(image);
    if (found) return;
    if (pull === 'never') throw new InvalidArgumentError(`image ${image} is not in the store and --pull=never was given`);
    progress.write(`Unable to find image '${image}' locally\n`);
  }
  await pullWithProgress(session, image, progress);
}

export interface StartedContainer {
  podSandboxId: string;
  containerId: string;
  /** The anonymous volumes made for it (`--rm` removes them with the container). */
  anonymousVolumes: string[];
}

/**
 * The plan's volumes provided, its pod run and its container created and started (berth run,
 * and berth compose up for each service); a failure part way removes what was made.
 */
export async function createAndStart(session: CriSession, plan: RunPlan, io: LogWriters): Promise<StartedContainer> {
  const anonymousVolumes = await provideVolumes(session.endpoint, plan.volumes, plan.container.mounts ?? []);
  let podSandboxId = '';
  try {
    ({ podSandboxId } = await session.client.runPodSandbox(plan.pod));
    const { containerId } = await session.client.createContainer(podSandboxId, plan.container, plan.pod);
    await session.client.startContainer(containerId);
    return { podSandboxId, containerId, anonymousVolumes };
  } catch (error) {
    if (podSandboxId !== '') {
      await removeCliPod(session, podSandboxId, plan.pod.logDirectory ?? '').catch((cleanup: unknown) =>
        io.stderr.write(`berth: removing the pod of the failed run failed too: ${errorMessage(cleanup)}\n`),
      );
    }
    await removeAnonymousVolumes(session.endpoint, anonymousVolumes).catch((cleanup: unknown) =>
      io.stderr.write(`berth: removing the anonymous volumes of the failed run failed too: ${errorMessage(cleanup)}\n`),
    );
    throw error;
  }
}

/** The container's exit code when attached; 0 once started when detached. */
export async function runContainer(session: CriSession, image: string, command: readonly string[], options: RunOptions, io: LogWriters): Promise<number> {
  if (options.detach && options.rm) {
    throw new InvalidArgumentError('--rm with -d needs someone to remove the container when it exits, and berth run does not stay; remove it with berth rm');
  }
  checkLocalTerminal(options);
  const plan = planRun(image, command, options, { logRoot: options.logRoot, environment: process.env, uid: randomUUID() });
  const taken = (await session.containers()).find((c) => c.name === plan.name);
  if (taken) {
    throw new AlreadyExistsError(`the container name "${plan.name}" is in use by ${taken.id.slice(0, 12)}: remove it (berth rm ${plan.name}) or choose another --name`);
  }
  if (options.gpus !== undefined) {
    // The request travels in berth's own annotation, which another runtime would drop without a word.
    const { runtimeName, runtimeVersion } = await session.client.version();
    if (runtimeName !== 'berth') {
      throw new FailedPreconditionError(
        `--gpus is carried to the runtime in berth's annotation, which ${runtimeName} ${runtimeVersion} would ignore, starting the container without GPUs: run it on berth, or ask ${runtimeName} for CDI devices its own way`,
      );
    }
  }
  await ensureImage(session, image, options.pull, io.stderr);
  const { podSandboxId, containerId, anonymousVolumes } = await createAndStart(session, plan, io);
  if (options.detach) {
    io.stdout.write(`${containerId}\n`);
    return 0;
  }

  // As docker's --sig-proxy: Ctrl-C or a TERM to the CLI stops the container, and the run ends with its exit.
  // (With -it Ctrl-C is a key for the container's terminal instead.)
  const stop = () => void session.client.stopContainer(containerId, 10).catch(() => undefined);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    if (options.interactive && options.tty) {
      if ((await attachTerminal(session, containerId, io)) === 'detached') {
        const rmNote = options.rm ? `; --rm cannot remove it now: berth rm -f ${plan.name} when done` : '';
        io.stderr.write(`\r\nberth: detached from ${plan.name}, which goes on running (berth exec -it ${plan.name} sh, berth logs -f ${plan.name})${rmNote}\r\n`);
        return 0;
      }
    } else {
      await followOutput(session, containerId, options.interactive ?? false, io);
    }
    const exitCode = (await waitForExit(session, containerId)) ?? 0;
    if (options.rm) {
      await removeCliPod(session, podSandboxId, plan.pod.logDirectory ?? '');
      await removeAnonymousVolumes(session.endpoint, anonymousVolumes);
    }
    return exitCode;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** Not yet exited: created (about to start) or running. */
const notExited = (state: string | undefined) => state === 'CONTAINER_RUNNING' || state === 'CONTAINER_CREATED';

async function isActive(session: CriSession, containerId: string): Promise<boolean> {
  return notExited((await session.client.containerStatus(containerId)).status?.state);
}

/** The log to its end; with -i this process's stdin goes to the container's meanwhile. */
async function followOutput(session: CriSession, containerId: string, interactive: boolean, io: LogWriters): Promise<void> {
  let input: Promise<unknown> = Promise.resolve();
  const local = interactive ? openLocalIo({ interactive: true, tty: false }, io) : undefined;
  if (local) {
    const { url } = await session.client.attach({ containerId, stdin: true, tty: false, stdout: false, stderr: false });
    // A container that exits before reading all of its input ends the attach; that is not an error.
    input = streamRemoteCommand(url, { ...local.io, inputOnly: true }).catch(() => undefined);
  }
  try {
    const { status } = await session.client.containerStatus(containerId);
    await followLog(new FileTail(status?.logPath ?? ''), new CriLogDecoder(), new LogPrinter(io), { running: () => isActive(session, containerId) });
    await input;
  } finally {
    local?.restore();
  }
}

async function attachTerminal(session: CriSession, containerId: string, io: LogWriters): Promise<'ended' | 'detached'> {
  const local = openLocalIo({ interactive: true, tty: true }, io);
  try {
    const { url } = await session.client.attach({ containerId, stdin: true, tty: true, stdout: true, stderr: false });
    io.stderr.write("If you don't see a command prompt, try pressing enter.\r\n");
    await streamRemoteCommand(url, local.io);
    return 'ended';
  } catch (error) {
    if (error instanceof RemoteCommandDetached) return 'detached';
    throw error;
  } finally {
    local.restore();
  }
}

/** The exit code once the container has stopped (the attach can end a moment before that is recorded). */
export async function waitForExit(session: CriSession, containerId: string): Promise<number | undefined> {
  for (;;) {
    const { status } = await session.client.containerStatus(containerId);
    if (!notExited(status?.state)) return status?.exitCode;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
