// A bounded set of tasks left running while the caller moves on. The unpack hands it the work it
// does through a file descriptor after an entry is written (fchown, fchmod, futimes, close): each
// step is a thread-pool round trip, and waiting for them one entry at a time kept the unpack
// latency-bound on layers of many small files.
//
// Failures are not lost: the first one is thrown by the next add() or by drain(). settle() waits
// for everything still running without throwing, for a caller that is already failing.

export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  /**
   * Starts `work` once fewer than `limit` tasks run. The work is always started (it owns what it
   * must release, such as a descriptor); an earlier task's failure is thrown afterwards.
   */
  async add(work: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    const task: Promise<void> = work()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.running.delete(task));
    this.running.add(task);
    this.throwFailure();
  }

  /** Waits for every task; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.throwFailure();
  }

  /** Waits for every task, never throwing. */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private throwFailure(): void {
    if (this.failure) throw this.failure.error;
  }
}
