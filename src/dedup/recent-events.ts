import { IdTable } from './id-table.js';

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
  private readonly published: IdTable;
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly ttlMs: number,
    maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    this.published = new IdTable(ttlMs > 0 ? maxEntries : 0);
  }

  /** Publishes `id` once: `publish` runs unless the id is published or being published. */
  async once<T>(id: string, publish: () => Promise<T>): Promise<Outcome<T>> {
    if (this.published.capacity === 0) return { duplicate: false, result: await publish() };
    this.published.expire(this.now());
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
      // Copies wait on `inFlight` meanwhile, so no one else can have remembered this id.
      this.published.add(id, this.now() + this.ttlMs);
      return { duplicate: false, result };
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** Ids remembered now (for tests and metrics). */
  get size(): number {
    return this.published.size;
  }
}
