// `docker history`: the config's history entries, newest first, each non-empty one paired with
// its layer (in order, bottom first) for a size. An image without history shows one entry per
// layer. Pure.
import type { ImageRecord } from './image-store.js';
import type { ImageConfig } from './oci-types.js';

export interface HistoryLine {
  /** The image id on the newest entry, "" below it. */
  id: string;
  created: string;
  createdBy: string;
  /** Bytes of the entry's layer as stored (compressed); 0 for an empty layer. */
  size: number;
  comment: string;
  emptyLayer: boolean;
  tags: string[];
}

export function imageHistory(record: Pick<ImageRecord, 'id' | 'config' | 'layers' | 'repoTags'>): HistoryLine[] {
  const history: NonNullable<ImageConfig['history']> = record.config.history?.length
    ? record.config.history
    : record.layers.map(() => ({ created: record.config.created ?? '', created_by: '', comment: '' }));
  let layer = 0;
  const lines: HistoryLine[] = history.map((entry) => {
    const emptyLayer = entry.empty_layer === true;
    const size = emptyLayer ? 0 : (record.layers[layer]?.size ?? 0);
    if (!emptyLayer) layer += 1;
    return { id: '', created: entry.created ?? '', createdBy: entry.created_by ?? '', size, comment: entry.comment ?? '', emptyLayer, tags: [] };
  });
  lines.reverse();
  const top = lines[0];
  if (top) {
    top.id = record.id;
    top.tags = [...record.repoTags];
  }
  return lines;
}
