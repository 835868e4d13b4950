import type { BatchLimits } from '../config/kafka.config.js';

/**
 * Micro-batching: requests that arrive together leave in one produce request.
 *
 * kafkajs sends one produce request per `send()`, and an idempotent producer keeps one request
 * in flight per broker, so one send per HTTP request would queue every request behind the
 * previous one's round trip. Here a batch leaves when the first waiting item has lingered
 * `lingerMs`, or as soon as `maxRecords` or `maxBytes` are reached; while a batch is in flight
 * the next one gathers, and leaves the moment the broker answers (its items have waited a
 * round trip already). One batch is in flight at a time, so batches reach the log in the order
 * they were formed and per-key order holds across batches as within them.
 *
 * Each caller is answered when its own batch is: every item of a failed batch is rejected with
 * the batch's error, never a silent partial loss. An item whose deadline passed while it
 * waited is rejected instead of sent: its caller has been answered already.
 */

export class ExpiredError extends Error {
  constructor() {
    super('The deadline passed before the record was sent');
    this.name = 'ExpiredError';
  }
}

interface Pending<T, R> {
  readonly item: T;
  readonly bytes: number;
  readonly deadline: number;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

export class Batcher<T, R> {
  private queue: Pending<T, R>[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  /**
   * @param send publishes one batch and resolves with one result per item, in order.
   * @param sizeOf the bytes an item adds to a batch.
   */
  constructor(
    private readonly send: (items: T[]) => Promise<R[]>,
    private readonly limits: BatchLimits,
    private readonly sizeOf: (item: T) => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queues an item; resolves with its result once its batch is acknowledged. */
  add(item: T, deadline = Number.POSITIVE_INFINITY): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const bytes = this.sizeOf(item);
      this.queue.push({ item, bytes, deadline, resolve, reject });
      this.queuedBytes += bytes;
      if (this.inFlight) return;
      if (this.isFull()) this.dispatch();
      else this.timer ??= setTimeout(() => this.dispatch(), this.limits.lingerMs);
    });
  }

  /** Sends everything queued, batch after batch; resolves once all of it is settled. */
  async flush(): Promise<void> {
    while (this.inFlight || this.queue.length > 0) {
      if (!this.inFlight) this.dispatch();
      await this.inFlight;
    }
  }

  /**
   * Rejects every item still waiting for a batch with `error`; the batch in flight goes on.
   * For a caller that has answered these items another way (the spool) and must not let them
   * reach the log behind its back.
   */
  cancelQueued(error: unknown): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const queued = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const pending of queued) pending.reject(error);
  }

  /** Items waiting for a batch (not counting the one in flight). */
  get waiting(): number {
    return this.queue.length;
  }

  private isFull(): boolean {
    return this.queue.length >= this.limits.maxRecords || this.queuedBytes >= this.limits.maxBytes;
  }

  private dispatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight) return;
    let batch = this.take();
    while (batch.length === 0 && this.queue.length > 0) batch = this.take();
    if (batch.length === 0) return;
    this.inFlight = this.send(batch.map((pending) => pending.item))
      .then(
        (results) => batch.forEach((pending, index) => pending.resolve(results[index] as R)),
        (error: unknown) => batch.forEach((pending) => pending.reject(error)),
      )
      .finally(() => {
        this.inFlight = undefined;
        if (this.queue.length > 0) this.dispatch();
      });
  }

  /** Takes the next batch: the oldest items within both limits, at least one; drops expired ones. */
  private take(): Pending<T, R>[] {
    const now = this.now();
    const batch: Pending<T, R>[] = [];
    let bytes = 0;
    let taken = 0;
    for (const pending of this.queue) {
      if (batch.length > 0 && (batch.length >= this.limits.maxRecords || bytes + pending.bytes > this.limits.maxBytes)) break;
      taken++;
      this.queuedBytes -= pending.bytes;
      if (pending.deadline <= now) {
        pending.reject(new ExpiredError());
        continue;
      }
      batch.push(pending);
      bytes += pending.bytes;
    }
    this.queue = taken === this.queue.length ? [] : this.queue.slice(taken);
    return batch;
  }
}
