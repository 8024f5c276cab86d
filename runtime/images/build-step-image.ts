// The image config of one berth build step (berth.v1.Images/BuildStep): the parent's config (or a
// scratch one for the host's platform) with the build's run config put in whole, the step's
// history entries appended as docker's builder writes them (metadata steps with empty_layer), and
// the new layer's diff id when the step made one. Pure: the facade (images.ts) stores the blobs.
import { InvalidArgumentError } from '../../common/errors.js';
import { hostPlatform } from './platform.js';
import type { ImageConfig, ImageRunConfig } from './oci-types.js';

export type HistoryEntry = NonNullable<ImageConfig['history']>[number];

export interface BuildStepSettings {
  runConfig: ImageRunConfig;
  history: HistoryEntry[];
  author: string;
  now: Date;
}

/** The step's run config and history, read from the request's JSON, checked for shape. */
export function parseStepSettings(configJson: string, historyJson: string): { runConfig: ImageRunConfig; history: HistoryEntry[] } {
  let runConfig: unknown;
  let history: unknown;
  try {
    runConfig = JSON.parse(configJson || '{}');
    history = JSON.parse(historyJson || '[]');
  } catch (error) {
    throw new InvalidArgumentError(`a build step's config or history is not JSON: ${String(error)}`);
  }
  if (typeof runConfig !== 'object' || runConfig === null || Array.isArray(runConfig)) throw new InvalidArgumentError("a build step's config must be a JSON object");
  if (!Array.isArray(history) || !history.every((entry) => typeof entry === 'object' && entry !== null && typeof (entry as HistoryEntry).created_by === 'string')) {
    throw new InvalidArgumentError("a build step's history must be a JSON array of {created_by, empty_layer}");
  }
  return { runConfig: runConfig as ImageRunConfig, history: history as HistoryEntry[] };
}

export function buildStepConfig(parent: ImageConfig | undefined, diffId: string | undefined, settings: BuildStepSettings): ImageConfig {
  const created = settings.now.toISOString();
  const base: ImageConfig = parent ?? { architecture: hostPlatform().architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } };
  const { author: parentAuthor, ...rest } = base;
  const author = settings.author || parentAuthor;
  const newEntries = settings.history.map((entry) => ({
    created,
    created_by: entry.created_by ?? '',
    ...(entry.comment ? { comment: entry.comment } : {}),
    ...(entry.empty_layer ? { empty_layer: true } : {}),
  }));
  const layerEntries = newEntries.filter((entry) => !entry.empty_layer).length;
  if (layerEntries !== (diffId === undefined ? 0 : 1)) {
    throw new InvalidArgumentError(`a build step's history has ${layerEntries} entries for ${diffId === undefined ? 'no new layer' : 'one new layer'}: mark the metadata steps empty_layer`);
  }
  return {
    ...rest,
    created,
    ...(author ? { author } : {}),
    config: settings.runConfig,
    rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, ...(diffId === undefined ? [] : [diffId])] },
    history: [...(base.history ?? []), ...newEntries],
  };
}
