/**
 * Micro-batching: requests that arrive together leave in one produce request.
 *
 * kafkajs sends one produce request per `send()`, and an idempotent producer keeps one request
 * in flight per broker, so one send per HTTP request would queue every request behind the
 * previous one's round trip. Here a batch leaves when the first waiting item has lingered
 * `lingerMs`, or as soon as it is full; while a batch is in flight the next one gathers, and
 * leaves the moment the broker answers (its items have waited a round trip already). One batch
 * is in flight at a time, so batches reach the log in the order they were formed and per-key
 * order holds across batches as within them.
 *
 * A batch is full at `maxRecords`, at `maxBytes`, or when one more item would take its lane
 * (its topic) over `laneLimit`: Kafka bounds each partition's share of a produce request by the
 * topic's max.message.bytes, so a batch that respects it is never refused for its size.
 *
 * Each caller is answered with its own item's outcome: `send` settles every item on its own
 * (one refused record fails alone), or rejects, which fails every item of the batch. An item
 * whose deadline passed while it waited is rejected instead of sent: its caller has been
 * answered already.
 */

export class ExpiredError extends Error {
  constructor() {
    super('The deadline passed before the record was sent');
    this.name = 'ExpiredError';
  }
}

/** One item's outcome within a batch. */
export type Settlement<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/** When a batch is full (config/kafka.config.ts, BatchLimits) and what each item adds to it. */
export interface BatchShape<T> {
  readonly lingerMs: number;
  readonly maxRecords: number;
  readonly maxBytes: number;
  /** What an item adds to a batch, at most. */
  sizeOf(item: T): number;
  laneOf(item: T): string;
  /** What the items of one lane may add up to in one batch. */
  laneLimit(lane: string): number;
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
  /** What the queued items add up to, in all and per lane. */
  private queuedBytes = 0;
  private readonly laneBytes = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  /**
   * @param send publishes one batch before `deadline` (ms since the epoch, or Infinity) and
   *   settles every item, in order.
   */
  constructor(
    private readonly send: (items: T[], deadline: number) => Promise<Settlement<R>[]>,
    private readonly shape: BatchShape<T>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queues an item; resolves with its result once its batch is acknowledged. */
  add(item: T, deadline = Number.POSITIVE_INFINITY): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const bytes = this.shape.sizeOf(item);
      const lane = this.shape.laneOf(item);
      this.queue.push({ item, bytes, deadline, resolve, reject });
      this.count(lane, bytes);
      if (this.inFlight) return;
      if (this.isFull(lane)) this.dispatch();
      else this.timer ??= setTimeout(() => this.dispatch(), this.shape.lingerMs);
    });
  }

  /** Sends everything queued, batch after batch; resolves once all of it is settled. */
  async flush(): Promise<void> {
    while (this.inFlight || this.queue.length > 0) {
      if (!this.inFlight) this.dispatch();
      await this.inFlight;
    }
  }

  /** Resolves once no batch is in flight (what is queued may still wait for its linger). */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
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
    this.recount();
    for (const pending of queued) pending.reject(error);
  }

  /** Items waiting for a batch (not counting the one in flight). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Whether the queue fills a batch, now that an item of `lane` joined it. */
  private isFull(lane: string): boolean {
    const { maxRecords, maxBytes } = this.shape;
    return this.queue.length >= maxRecords || this.queuedBytes >= maxBytes || (this.laneBytes.get(lane) ?? 0) >= this.shape.laneLimit(lane);
  }

  private count(lane: string, bytes: number): void {
    this.queuedBytes += bytes;
    this.laneBytes.set(lane, (this.laneBytes.get(lane) ?? 0) + bytes);
  }

  private recount(): void {
    this.queuedBytes = 0;
    this.laneBytes.clear();
    for (const pending of this.queue) this.count(this.shape.laneOf(pending.item), pending.bytes);
  }

  private dispatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight) return;
    let batch = this.take();
    while (batch.length === 0 && this.queue.length > 0) batch = this.take();
    if (batch.length === 0) return;
    const deadline = batch.reduce((earliest, pending) => Math.min(earliest, pending.deadline), Number.POSITIVE_INFINITY);
    this.inFlight = this.send(batch.map((pending) => pending.item), deadline)
      .then(
        (results) =>
          batch.forEach((pending, index) => {
            const result = results[index];
            if (result?.ok) pending.resolve(result.value);
            else pending.reject(result ? result.error : new Error('The batch left this item unsettled'));
          }),
        (error: unknown) => batch.forEach((pending) => pending.reject(error)),
      )
      .finally(() => {
        this.inFlight = undefined;
        if (this.queue.length > 0) this.dispatch();
      });
  }

  /** Takes the next batch: the oldest items that fit together (at least one); drops expired ones. */
  private take(): Pending<T, R>[] {
    const now = this.now();
    const taken = Math.max(1, countFitting(this.queue, this.shape, (pending) => pending.item, (pending) => pending.bytes));
    const batch: Pending<T, R>[] = [];
    for (const pending of this.queue.slice(0, taken)) {
      if (pending.deadline <= now) pending.reject(new ExpiredError());
      else batch.push(pending);
    }
    this.queue = taken === this.queue.length ? [] : this.queue.slice(taken);
    this.recount();
    return batch;
  }
}

/**
 * How many of `items`, oldest first, fit in one batch of `shape`: the spool's drain packs its
 * reads with the same rule, so that one read is one produce request.
 */
export function countFitting<I, T>(
  items: readonly I[],
  shape: Omit<BatchShape<T>, 'lingerMs'>,
  itemOf: (entry: I) => T,
  bytesOf: (entry: I) => number = (entry) => shape.sizeOf(itemOf(entry)),
): number {
  let bytes = 0;
  const lanes = new Map<string, number>();
  let count = 0;
  for (const entry of items) {
    if (count >= shape.maxRecords) break;
    const size = bytesOf(entry);
    const lane = shape.laneOf(itemOf(entry));
    const laneBytes = (lanes.get(lane) ?? 0) + size;
    if (bytes + size > shape.maxBytes || laneBytes > shape.laneLimit(lane)) break;
    bytes += size;
    lanes.set(lane, laneBytes);
    count++;
  }
  return count;
}
