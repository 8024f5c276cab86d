// The containers a build runs its steps in, on the runtime through the CRI, as `berth run` makes
// them (cli/containers/run-plan.ts): one pod each, no network (a build step reaches nothing; the
// test world has no internet anyway), the stage's env, user and working dir. A RUN's container
// runs its command and its output goes to the step's progress; a COPY's is only created, so its
// mounted root can take the files (berth.v1.Containers/CopyTo) before its changes are committed.
// Each is removed with its pod afterwards, whatever happened.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { errorMessage } from '../../common/errors.js';
import { FileTail } from '../../common/file-tail.js';
import type { CriSession } from '../containers/cri-session.js';
import { CriLogDecoder, followLog, LogPrinter } from '../containers/log-output.js';
import { removeCliPod } from '../containers/remove-pod.js';
import { planRun, type RunPlan } from '../containers/run-plan.js';

export interface StepContainerSettings {
  image: string;
  command: readonly string[];
  env: readonly string[];
  user?: string;
  workdir?: string;
  logRoot: string;
}

export interface StepContainer {
  id: string;
  plan: RunPlan;
  podSandboxId: string;
}

/** Creates (does not start) a pod and container for a step; the caller removes it with removeStepContainer. */
export async function createStepContainer(session: CriSession, settings: StepContainerSettings): Promise<StepContainer> {
  const uid = randomUUID();
  const plan = planRun(
    settings.image,
    [],
    {
      name: `berth-build-${uid.slice(0, 12)}`,
      env: [...settings.env],
      volume: [],
      label: ['berth.dev/build-step=true'],
      network: 'none',
      ...(settings.user ? { user: settings.user } : {}),
      ...(settings.workdir ? { workdir: settings.workdir } : {}),
    },
    { logRoot: settings.logRoot, environment: {}, uid },
  );
  // The exact argv: neither the image's ENTRYPOINT nor its CMD takes part in a RUN.
  plan.container.command = [...settings.command];
  plan.container.args = [];
  const { podSandboxId } = await session.client.runPodSandbox(plan.pod);
  try {
    const { containerId } = await session.client.createContainer(podSandboxId, plan.container, plan.pod);
    return { id: containerId, plan, podSandboxId };
  } catch (error) {
    await removeCliPod(session, podSandboxId, plan.pod.logDirectory ?? '').catch(() => undefined);
    throw error;
  }
}

export async function removeStepContainer(session: CriSession, container: StepContainer): Promise<void> {
  await removeCliPod(session, container.podSandboxId, container.plan.pod.logDirectory ?? '');
}

/** Runs `work` with a step container, removing it after; a failed removal is reported beside, never instead of, the work's error. */
export async function withStepContainer<T>(session: CriSession, settings: StepContainerSettings, work: (container: StepContainer) => Promise<T>, warn: (text: string) => void): Promise<T> {
  const container = await createStepContainer(session, settings);
  try {
    return await work(container);
  } finally {
    await removeStepContainer(session, container).catch((error: unknown) => warn(`removing the build step's container ${container.id.slice(0, 12)} failed: ${errorMessage(error)}`));
  }
}

const exited = (state: string | undefined) => state !== 'CONTAINER_RUNNING' && state !== 'CONTAINER_CREATED';

/** Starts the container, hands its output (stdout and stderr as written) to `output`, and answers its exit code. */
export async function runToExit(session: CriSession, container: StepContainer, output: (text: string) => void): Promise<number> {
  await session.client.startContainer(container.id);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      output(chunk.toString('utf8'));
      callback();
    },
  });
  const { status } = await session.client.containerStatus(container.id);
  const running = async () => !exited((await session.client.containerStatus(container.id)).status?.state);
  await followLog(new FileTail(status?.logPath ?? ''), new CriLogDecoder(), new LogPrinter({ stdout: sink, stderr: sink }), { running, pollMs: 50 });
  for (;;) {
    const { status: final } = await session.client.containerStatus(container.id);
    if (exited(final?.state)) return final?.exitCode ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
