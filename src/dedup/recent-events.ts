/**
 * Which event ids this process has published lately, so a redelivered webhook publishes
 * nothing (CONTRACT.md §1, 200 `duplicate`). Dropea documents no retry policy and no delivery
 * id; the event id (UUID v5 of the content) is the only identity a redelivery keeps.
 *
 * - Published ids are remembered for `ttlMs`, at most `maxEntries` of them (the oldest go
 *   first), so memory stays bounded whatever the traffic.
 * - Copies that arrive while the first is being published wait for that one publish and share
 *   its outcome.
 * - A publish that failed is not remembered: the sender's retry publishes.
 *
 * Per process and best effort: another replica, a restart or an evicted entry lets a
 * duplicate through, which downstream deduplication on the id absorbs.
 */
export type Outcome<T> = { readonly duplicate: false; readonly result: T } | { readonly duplicate: true };

export class RecentEvents {
  /** id → expiry; insertion order is expiry order, as the TTL is the same for all. */
  private readonly published = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Publishes `id` once: `publish` runs unless the id is published or being published. */
  async once<T>(id: string, publish: () => Promise<T>): Promise<Outcome<T>> {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return { duplicate: false, result: await publish() };
    this.forgetExpired();
    if (this.published.has(id)) return { duplicate: true };
    const pending = this.inFlight.get(id);
    if (pending) {
      await pending;
      return { duplicate: true };
    }
    const publishing = publish();
    this.inFlight.set(id, publishing);
    try {
      const result = await publishing;
      this.remember(id);
      return { duplicate: false, result };
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** Ids remembered now (for tests and metrics). */
  get size(): number {
    return this.published.size;
  }

  private remember(id: string): void {
    this.published.delete(id);
    this.published.set(id, this.now() + this.ttlMs);
    while (this.published.size > this.maxEntries) {
      const oldest = this.published.keys().next();
      if (oldest.done === true) break;
      this.published.delete(oldest.value);
    }
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [id, expiry] of this.published) {
      if (expiry > now) break;
      this.published.delete(id);
    }
  }
}
