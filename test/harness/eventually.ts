// Polling for what a test waits on: the probe runs until it returns a value (not undefined); a
// probe that throws counts as not yet. The test's own timeout bounds the wait.
export async function eventually<T>(probe: () => Promise<T | undefined>, intervalMs = 250): Promise<T> {
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
