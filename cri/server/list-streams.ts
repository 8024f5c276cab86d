// The streaming list RPCs of the newest CRI (StreamPodSandboxes, StreamContainers, StreamImages,
// StreamContainerStats, StreamPodSandboxStats, StreamPodSandboxMetrics): the same answer as the List RPC with the same
// filter, sent in pages so a full node's list never has to fit one message.
import type { StreamHandler, UnaryHandler } from './instrument.js';

/** Items per streamed message: well under gRPC's default 4 MiB receive limit even for stats. */
export const streamPageSize = 100;

/** Pure: `items` in pages of `size` (one empty page for no items, so the client sees an answer). */
export function pages<T>(items: readonly T[], size = streamPageSize): T[][] {
  if (items.length === 0) return [[]];
  const out: T[][] = [];
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size));
  return out;
}

export function listAsStream<Request, ListResponse, Item, StreamResponse>(
  list: UnaryHandler<Request, ListResponse>,
  itemsOf: (response: ListResponse) => Item[] | undefined,
  wrap: (items: Item[]) => StreamResponse,
): StreamHandler<Request, StreamResponse> {
  return async (request, send, signal) => {
    const items = itemsOf(await list(request, signal)) ?? [];
    for (const page of pages(items)) {
      if (signal.aborted) return;
      send(wrap(page));
    }
  };
}
