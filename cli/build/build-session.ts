// What every step of a build uses: the runtime's clients, the context, the options, the progress;
// and storing a step's image with the build cache consulted first (storeStep).
import type { BerthContainersClient } from '../../cri/client/berth-containers-client.js';
import type { BerthImagesClient } from '../../cri/client/berth-images-client.js';
import type { CriSession } from '../containers/cri-session.js';
import type { BuildContext } from './build-context.js';
import type { BuildProgress, Vertex } from './build-progress.js';
import type { Dockerfile } from './dockerfile-parser.js';
import type { HistoryEntry, StageState } from './stage-state.js';

export interface BuildSession {
  session: CriSession;
  images: BerthImagesClient;
  containers: BerthContainersClient;
  context: BuildContext;
  dockerfile: Dockerfile;
  buildArgs: ReadonlyMap<string, string>;
  /** The --build-arg names some ARG declared: docker warns about the others. */
  usedBuildArgs: Set<string>;
  noCache: boolean;
  progress: BuildProgress;
  logRoot: string;
  warn: (text: string) => void;
  /** The image id of an earlier stage (by name or index, built on first use) or of an image (pulled when missing): COPY --from. */
  imageFor: (reference: string) => Promise<string>;
}

export type LayerSource = { container: string } | { tar: AsyncIterable<Uint8Array> };

/** The cache's image for `key` unless --no-cache; the step is then marked CACHED. */
export async function cachedStep(build: BuildSession, key: string): Promise<string | undefined> {
  if (build.noCache) return undefined;
  const { id } = await build.images.buildCacheLookup(key);
  return id === '' ? undefined : id;
}

/**
 * Stores the step's image (its layer from `layer`, none for a metadata-only image) on the stage's
 * image, with the stage's config and the pending history plus `entry`, remembered under `key`;
 * the stage then continues from it.
 */
export async function storeStep(build: BuildSession, state: StageState, key: string, entry: HistoryEntry | undefined, layer: LayerSource | undefined): Promise<string> {
  const history = [...state.pendingHistory, ...(entry ? [entry] : [])];
  const { id } = await build.images.buildStep(
    {
      parent: state.imageId ?? '',
      container: layer && 'container' in layer ? layer.container : '',
      layerFromData: layer !== undefined && 'tar' in layer,
      configJson: JSON.stringify(state.config),
      historyJson: JSON.stringify(history),
      cacheKey: key,
      author: state.author,
    },
    layer && 'tar' in layer ? layer.tar : undefined,
  );
  continueFrom(state, id);
  return id;
}

/** The stage goes on from image `id` (stored or found in the cache): nothing is pending any more. */
export function continueFrom(state: StageState, id: string): void {
  state.imageId = id;
  state.pendingHistory = [];
  state.chain = id;
}

/** Runs a step's work inside its progress vertex: DONE when it succeeds, ERROR with the message when it fails. */
export async function inVertex<T>(vertex: Vertex, work: () => Promise<T>): Promise<T> {
  try {
    const result = await work();
    vertex.done();
    return result;
  } catch (error) {
    vertex.error(error instanceof Error ? error.message : String(error));
    throw error;
  }
}
