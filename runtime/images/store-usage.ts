// What the image store uses on disk, for ImageFsInfo: bytes and inodes under the store's own
// directories (blobs, image records, unpacked layers), not the whole filesystem's statfs, which
// counts everything else on the disk too and would make the kubelet's image GC chase space the
// images do not hold. Walking a large store takes a while, so the answer is cached: callers get
// the last walk at once, and a walk older than the TTL starts the next one in the background
// (only the very first call waits for a walk).
import { diskUsage, type DiskUsage } from '../../common/disk-usage.js';
import { errorMessage } from '../../common/errors.js';
import { TtlCache } from '../../common/ttl-cache.js';
import type { Logger } from '../../common/logger.js';

export interface StoreUsageOptions {
  dirs: string[];
  /** How old a walk may be before the next call starts another. */
  ttlMs?: number;
  logger?: Logger;
  now?: () => number;
}

export class StoreUsage {
  readonly #cache: TtlCache<DiskUsage>;
  readonly #onError: (error: unknown) => void;

  constructor(options: StoreUsageOptions) {
    const { dirs, ttlMs = 5_000, logger, now } = options;
    this.#cache = new TtlCache(() => diskUsage(...dirs), { ttlMs, ...(now ? { now } : {}) });
    this.#onError = (error) => logger?.warn({ dirs, error: errorMessage(error) }, 'walking the image store for its usage failed');
  }

  usage(): Promise<DiskUsage> {
    return this.#cache.getStale(this.#onError);
  }
}
