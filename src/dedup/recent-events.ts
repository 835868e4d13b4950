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
  private readonly published = new Set<string>();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  // The remembered ids in the order they were published, with their expiry: a ring, so the
  // oldest is found and dropped in constant time. (Taking the oldest key of a Map instead walks
  // over every slot its deletions left behind: that halved the relay's throughput.)
  private readonly ring: (string | undefined)[];
  private readonly expiries: Float64Array;
  private head = 0;
  private count = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    const capacity = ttlMs > 0 ? maxEntries : 0;
    this.ring = new Array<string | undefined>(capacity);
    this.expiries = new Float64Array(capacity);
  }

  /** Publishes `id` once: `publish` runs unless the id is published or being published. */
  async once<T>(id: string, publish: () => Promise<T>): Promise<Outcome<T>> {
    if (this.ring.length === 0) return { duplicate: false, result: await publish() };
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
    if (this.count === this.ring.length) this.dropOldest();
    const slot = (this.head + this.count) % this.ring.length;
    this.ring[slot] = id;
    this.expiries[slot] = this.now() + this.ttlMs;
    this.count++;
    this.published.add(id);
  }

  private forgetExpired(): void {
    const now = this.now();
    while (this.count > 0 && this.expiries[this.head]! <= now) this.dropOldest();
  }

  private dropOldest(): void {
    this.published.delete(this.ring[this.head]!);
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
  }
}
