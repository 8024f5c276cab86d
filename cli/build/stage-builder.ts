// Builds the stages a target needs, each once, in the order they are needed: FROM (an image,
// pulled when missing; an earlier stage; or scratch), the ONBUILD triggers of the base, then each
// instruction: RUN/COPY/ADD as steps with a progress vertex and a layer, the others applied to
// the stage's config (stage-state.ts). What is left pending at the end is stored as one more
// image without a layer, so the stage's image carries every instruction's config and history.
import { InvalidArgumentError } from '../../common/errors.js';
import { formatPlatform, hostPlatform, parsePlatform } from '../../runtime/images/platform.js';
import type { ImageConfig } from '../../runtime/images/oci-types.js';
import { authForImage } from '../images/docker-config.js';
import { cachedStep, continueFrom, inVertex, storeStep, type BuildSession } from './build-session.js';
import { copyStep } from './copy-step.js';
import { DockerfileError } from './dockerfile-error.js';
import { parseInstruction, type Instruction, type Stage } from './dockerfile-parser.js';
import { argDeclarations, onLine } from './instruction-values.js';
import { runStep } from './run-step.js';
import { applyMetadata, chainHash, type ArgSources, type StageState } from './stage-state.js';
import { expandWord } from './variable-expansion.js';

/** BuildKit's PATH for an image FROM scratch, so RUN finds programs once COPY put them there. */
const scratchPath = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const layerKeywords = new Set(['RUN', 'COPY', 'ADD']);

export class StageBuilder {
  private readonly built = new Map<number, Promise<string>>();
  private readonly globals = new Map<string, string>();

  constructor(
    private readonly build: BuildSession,
    /** --label values, for the target stage's image only. */
    private readonly targetLabels: { index: number; labels: Record<string, string> } | undefined,
  ) {
    const { dockerfile, buildArgs } = build;
    for (const instruction of dockerfile.globalArgs) {
      for (const [name, fallback] of argDeclarations(instruction, this.globals, dockerfile.escape)) {
        const value = buildArgs.get(name) ?? fallback;
        if (buildArgs.has(name)) build.usedBuildArgs.add(name);
        if (value !== undefined) this.globals.set(name, value);
      }
    }
  }

  private stageNamed(reference: string): Stage | undefined {
    const { stages } = this.build.dockerfile;
    const lower = reference.toLowerCase();
    return stages.find((stage) => stage.name === lower) ?? (/^\d+$/.test(reference) ? stages[Number(reference)] : undefined);
  }

  /** The stage's image id, building it on first use. */
  stage(stage: Stage): Promise<string> {
    let building = this.built.get(stage.index);
    if (!building) {
      building = this.buildStage(stage);
      this.built.set(stage.index, building);
    }
    return building;
  }

  /** COPY --from's image: a stage by name or index, else an image (pulled when missing). */
  async imageFor(reference: string): Promise<string> {
    const stage = this.stageNamed(reference);
    if (stage) return this.stage(stage);
    return (await this.baseImage(reference, undefined)).id;
  }

  private async baseImage(reference: string, vertex: { output(text: string): void } | undefined): Promise<{ id: string; config: ImageConfig }> {
    const { session } = this.build;
    let status = await session.client.imageStatus(reference, true);
    if (!status.image) {
      vertex?.output(`pulling ${reference}\n`);
      const auth = await authForImage(reference);
      await session.client.pullImage(reference, auth);
      status = await session.client.imageStatus(reference, true);
    }
    if (!status.image) throw new InvalidArgumentError(`the image ${reference} is not in the store after its pull`);
    const info = JSON.parse(status.info['info'] ?? '{}') as { imageSpec?: ImageConfig };
    if (!info.imageSpec) throw new InvalidArgumentError(`the runtime reported no config for ${reference}: berth build needs berth as the runtime`);
    return { id: status.image.id, config: info.imageSpec };
  }

  private label(stage: Stage): string {
    if (this.build.dockerfile.stages.length === 1) return '';
    return `${stage.name ?? `stage-${stage.index}`} `;
  }

  private async buildStage(stage: Stage): Promise<string> {
    const { build } = this;
    let steps = 1 + stage.instructions.filter((instruction) => layerKeywords.has(instruction.keyword)).length;
    let stepNumber = 1;
    const title = (instruction: Instruction) => `[${this.label(stage)}${stepNumber}/${steps}] ${instruction.original}`;
    const state = await this.from(stage, title(stage.from));
    // ONBUILD triggers of the base run first, as if written after FROM; the new image does not inherit them.
    const triggers = (state.config.OnBuild ?? []).map((text) => parseInstruction(stage.from.line, text));
    state.config.OnBuild = null;
    steps += triggers.filter((trigger) => layerKeywords.has(trigger.keyword)).length;
    const args: ArgSources = { given: build.buildArgs, globals: this.globals, used: build.usedBuildArgs };
    const run = async (instruction: Instruction, vertexTitle: string | undefined) => {
      if (instruction.keyword === 'ONBUILD' && vertexTitle !== undefined) throw new DockerfileError(instruction.line, 'an ONBUILD trigger cannot itself be ONBUILD');
      if (!layerKeywords.has(instruction.keyword)) {
        applyMetadata(state, instruction, args);
        return;
      }
      stepNumber += 1;
      const vertex = build.progress.vertex(vertexTitle ?? title(instruction));
      if (instruction.keyword === 'RUN') await runStep(build, state, instruction, vertex);
      else await copyStep(build, state, instruction, vertex);
    };
    for (const trigger of triggers) await run(trigger, `[${this.label(stage)}${stepNumber + 1}/${steps}] ONBUILD ${trigger.original}`);
    for (const instruction of stage.instructions) await run(instruction, undefined);
    const labels = this.targetLabels?.index === stage.index ? this.targetLabels.labels : {};
    if (state.pendingHistory.length === 0 && state.imageId !== undefined && Object.keys(labels).length === 0) return state.imageId;
    // --label goes in the config as a LABEL would, without a history entry, as docker's builder does.
    if (Object.keys(labels).length > 0) state.config.Labels = { ...state.config.Labels, ...labels };
    const key = chainHash(state.chain, 'config', JSON.stringify(labels));
    const cached = await cachedStep(build, key);
    if (cached) {
      continueFrom(state, cached);
      return cached;
    }
    return storeStep(build, state, key, undefined, undefined);
  }

  /** FROM: the stage's starting state. */
  private async from(stage: Stage, vertexTitle: string): Promise<StageState> {
    const { build } = this;
    const instruction = stage.from;
    const reference = onLine(instruction, () => expandWord(instruction.rest.split(/\s+/)[0] ?? '', this.globals, build.dockerfile.escape));
    if (reference === '') throw new DockerfileError(instruction.line, 'FROM names no image (an ARG it uses is empty?)');
    const platform = instruction.flags.get('platform');
    if (platform !== undefined) {
      const wanted = formatPlatform(parsePlatform(onLine(instruction, () => expandWord(platform, this.globals, build.dockerfile.escape))));
      const host = formatPlatform(hostPlatform());
      if (wanted !== host) throw new DockerfileError(instruction.line, `FROM --platform=${wanted}: berth builds for this machine's platform (${host}) only; it cannot run ${wanted} steps`);
    }
    const fresh = (imageId: string | undefined, config: ImageConfig['config'], author: string): StageState => ({
      imageId,
      config: structuredClone(config ?? {}),
      pendingHistory: [],
      author,
      args: new Map(),
      chain: imageId ?? chainHash('scratch'),
      escape: build.dockerfile.escape,
    });
    const vertex = build.progress.vertex(vertexTitle);
    return inVertex(vertex, async () => {
      if (reference.toLowerCase() === 'scratch') return fresh(undefined, { Env: [scratchPath] }, '');
      const earlier = this.stageNamed(reference);
      if (earlier && !/^\d+$/.test(reference)) {
        if (earlier.index >= stage.index) throw new DockerfileError(instruction.line, `FROM ${reference}: a stage can only build on an earlier stage`);
        const id = await this.stage(earlier);
        const { config } = await this.baseImage(id, undefined);
        return fresh(id, config.config, config.author ?? '');
      }
      const base = await this.baseImage(reference, vertex);
      return fresh(base.id, base.config.config, '');
    });
  }
}
