// One value that is costly to compute (a walk of a store, a probe of binaries), kept for a
// while: however many callers ask at once, one computation runs.

export class TtlCache<T> {
  readonly #compute: () => Promise<T>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #last: { at: number; value: T } | undefined;
  #computing: Promise<T> | undefined;

  constructor(compute: () => Promise<T>, options: { ttlMs: number; now?: () => number }) {
    this.#compute = compute;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
  }

  #fresh(): T | undefined {
    return this.#last && this.#now() - this.#last.at < this.#ttlMs ? this.#last.value : undefined;
  }

  #refresh(): Promise<T> {
    this.#computing ??= this.#compute()
      .then((value) => {
        this.#last = { at: this.#now(), value };
        return value;
      })
      .finally(() => {
        this.#computing = undefined;
      });
    return this.#computing;
  }

  /** The value, computed again (and waited for) once it is older than the TTL. */
  async get(): Promise<T> {
    return this.#fresh() ?? this.#refresh();
  }

  /**
   * The last value at once, even when stale, starting a new computation in the background when it
   * is; only the first call waits. A failed background computation goes to `onError`.
   */
  async getStale(onError: (error: unknown) => void): Promise<T> {
    const fresh = this.#fresh();
    if (fresh !== undefined) return fresh;
    const last = this.#last;
    const next = this.#refresh();
    if (!last) return next;
    next.catch(onError);
    return last.value;
  }
}
