// `berth run`: docker run's workflow over the CRI. Pull the image if the store lacks it, run a pod
// sandbox for the container, create and start it, then either print its ID (-d) or follow its
// output and exit with its exit code, removing everything with --rm. A failure part way removes
// what was made, so a refused run leaves nothing behind.
import { randomUUID } from 'node:crypto';
import { AlreadyExistsError, errorMessage, InvalidArgumentError } from '../../common/errors.js';
import { CriLogDecoder, FileTail, followLog, LogPrinter, type LogWriters } from './log-output.js';
import { removeCliPod } from './remove-pod.js';
import { planRun, type RunFlags } from './run-plan.js';
import type { CriSession } from './cri-session.js';

export interface RunOptions extends RunFlags {
  detach: boolean;
  rm: boolean;
  pull: 'missing' | 'always' | 'never';
  logRoot: string;
}

async function ensureImage(session: CriSession, image: string, pull: RunOptions['pull'], progress: LogWriters['stderr']): Promise<void> {
  if (pull !== 'always') {
    const { image: found } = await session.client.imageStatus(image);
    if (found) return;
    if (pull === 'never') throw new InvalidArgumentError(`image ${image} is not in the store and --pull=never was given`);
    progress.write(`Unable to find image '${image}' locally\n`);
  }
  const started = Date.now();
  progress.write(`Pulling ${image}...\n`);
  const { imageRef } = await session.client.pullImage(image);
  progress.write(`Pulled ${image} (${imageRef}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

/** The container's exit code when attached; 0 once started when detached. */
export async function runContainer(session: CriSession, image: string, command: readonly string[], options: RunOptions, io: LogWriters): Promise<number> {
  if (options.detach && options.rm) {
    throw new InvalidArgumentError('--rm with -d needs someone to remove the container when it exits, and berth run does not stay; remove it with berth rm');
  }
  const plan = planRun(image, command, options, { logRoot: options.logRoot, environment: process.env, uid: randomUUID() });
  const taken = (await session.containers()).find((c) => c.name === plan.name);
  if (taken) {
    throw new AlreadyExistsError(`the container name "${plan.name}" is in use by ${taken.id.slice(0, 12)}: remove it (berth rm ${plan.name}) or choose another --name`);
  }
  await ensureImage(session, image, options.pull, io.stderr);

  const { podSandboxId } = await session.client.runPodSandbox(plan.pod);
  let containerId: string;
  try {
    ({ containerId } = await session.client.createContainer(podSandboxId, plan.container, plan.pod));
    await session.client.startContainer(containerId);
  } catch (error) {
    await removeCliPod(session, podSandboxId, plan.pod.logDirectory ?? '').catch((cleanup: unknown) =>
      io.stderr.write(`berth: removing the pod of the failed run failed too: ${errorMessage(cleanup)}\n`),
    );
    throw error;
  }
  if (options.detach) {
    io.stdout.write(`${containerId}\n`);
    return 0;
  }

  // As docker's --sig-proxy: Ctrl-C or a TERM to the CLI stops the container, and the run ends with its exit.
  const stop = () => void session.client.stopContainer(containerId, 10).catch(() => undefined);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const { status } = await session.client.containerStatus(containerId);
    await followLog(new FileTail(status?.logPath ?? ''), new CriLogDecoder(), new LogPrinter(io), {
      running: async () => {
        const state = (await session.client.containerStatus(containerId)).status?.state;
        return state === 'CONTAINER_RUNNING' || state === 'CONTAINER_CREATED';
      },
    });
    const exitCode = (await session.client.containerStatus(containerId)).status?.exitCode ?? 0;
    if (options.rm) await removeCliPod(session, podSandboxId, plan.pod.logDirectory ?? '');
    return exitCode;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
