// RUN: the command as a container of the stage's image on berth's runtime (shell form through the
// stage's SHELL, exec form as given), with the stage's ENV plus the ARG values (which docker gives
// RUN but keeps out of the image), USER and WORKDIR; its filesystem changes become the layer. A
// non-zero exit fails the build with docker's message and the command's output already shown.
import { FailedPreconditionError } from '../../common/errors.js';
import { cachedStep, continueFrom, inVertex, storeStep, type BuildSession } from './build-session.js';
import type { Vertex } from './build-progress.js';
import { DockerfileError } from './dockerfile-error.js';
import type { Instruction } from './dockerfile-parser.js';
import { commandOf } from './instruction-values.js';
import { chainHash, shellOf, type StageState } from './stage-state.js';
import { runToExit, withStepContainer } from './step-container.js';

export class RunFailedError extends FailedPreconditionError {}

export async function runStep(build: BuildSession, state: StageState, instruction: Instruction, vertex: Vertex): Promise<void> {
  const argv = commandOf(instruction, shellOf(state));
  const argPairs = [...state.args].map(([name, value]) => `${name}=${value}`);
  // docker's history text: the ARGs RUN saw, counted, then the command.
  const createdBy = `RUN ${argPairs.length > 0 ? `|${argPairs.length} ${argPairs.join(' ')} ` : ''}${argv.join(' ')} # buildkit`;
  const key = chainHash(state.chain, 'RUN', JSON.stringify(argv), JSON.stringify(argPairs));
  const cached = await cachedStep(build, key);
  if (cached) {
    continueFrom(state, cached);
    vertex.cached();
    return;
  }
  await inVertex(vertex, async () => {
    const image = state.imageId;
    if (image === undefined) throw new DockerfileError(instruction.line, 'RUN in a stage FROM scratch needs files to run first: COPY a program in before RUN');
    const env = [...(state.config.Env ?? []), ...argPairs.filter((pair) => !(state.config.Env ?? []).some((entry) => entry.startsWith(`${pair.slice(0, pair.indexOf('='))}=`)))];
    const settings = {
      image,
      command: argv,
      env,
      logRoot: build.logRoot,
      ...(state.config.User ? { user: state.config.User } : {}),
      ...(state.config.WorkingDir ? { workdir: state.config.WorkingDir } : {}),
    };
    await withStepContainer(
      build.session,
      settings,
      async (container) => {
        const exitCode = await runToExit(build.session, container, (text) => vertex.output(text));
        if (exitCode !== 0) {
          throw new RunFailedError(`process ${JSON.stringify(argv.join(' '))} did not complete successfully: exit code: ${exitCode}`);
        }
        await storeStep(build, state, key, { created_by: createdBy }, { container: container.id });
      },
      build.warn,
    );
  });
}
