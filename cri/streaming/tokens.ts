// Single-use tokens for streaming URLs: an Exec/Attach/PortForward RPC stores its request under
// a random token; the client must redeem it within the TTL, once. A cap on pending tokens keeps
// a client that never connects from growing the table without bound (the oldest go first).
import { randomBytes } from 'node:crypto';

export class TokenCache<T> {
  private readonly entries = new Map<string, { value: T; expires: number }>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly maxPending = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  issue(value: T): string {
    this.expire();
    while (this.entries.size >= this.maxPending) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    const token = randomBytes(18).toString('base64url');
    this.entries.set(token, { value, expires: this.now() + this.ttlMs });
    return token;
  }

  /** The value, once: a second redeem or an expired token gets undefined. */
  redeem(token: string): T | undefined {
    const entry = this.entries.get(token);
    this.entries.delete(token);
    if (!entry || entry.expires < this.now()) return undefined;
    return entry.value;
  }

  get size(): number {
    this.expire();
    return this.entries.size;
  }

  private expire(): void {
    const now = this.now();
    for (const [token, entry] of this.entries) if (entry.expires < now) this.entries.delete(token);
  }
}
