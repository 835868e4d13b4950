import { SpoolFullError, type SpoolLog } from '../spool/spool-log.js';
import type { BatchLimits } from '../config/kafka.config.js';
import type { Batcher } from './batcher.js';
import { settledWithin } from './deadline.js';
import { PublishError, type PublishReceipt } from './event-publisher.js';
import { fromSpoolEntry, toSpoolEntry, type KafkaRecord } from './kafka-record.js';

export interface SpoolerOptions {
  /** PUBLISH_TIMEOUT_MS: how long a record may wait for Kafka before it is spooled instead. */
  readonly timeoutMs: number;
  /** How much the drainer hands to Kafka at a time. */
  readonly drainBatch: BatchLimits;
  /** Whether Kafka answers now; the drainer waits for it after a failed attempt. */
  readonly kafkaReachable: () => Promise<boolean>;
  readonly onDrainError?: (error: unknown) => void;
  readonly retryDelayMs?: number;
}

interface Ticket {
  readonly record: KafkaRecord;
  readonly resolve: (receipt: PublishReceipt) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

class Diverted extends Error {}

/**
 * SPOOL_DIR: records go to Kafka through the batcher as usual; the moment one of them cannot be
 * acknowledged within PUBLISH_TIMEOUT_MS (or its batch fails), the spool takes over.
 *
 * Per-key order is the point of every rule here:
 * - Taking over spools every record not yet acknowledged, in the order they were sent, the one
 *   that failed included, and cancels those still queued in the batcher. A batch already in
 *   flight may still land: its records then reach Kafka twice, the first time in order, which
 *   at-least-once allows (consumers deduplicate on the event id).
 * - While the spool holds anything, new records are appended behind it rather than sent.
 * - The drainer hands the spool to the same batcher, oldest first, and moves the spool's cursor
 *   only after Kafka acknowledged. The batcher sends one batch at a time, so drained records
 *   never overtake a batch still in flight.
 * - Direct sending resumes only when the spool is empty and no append is under way, checked
 *   synchronously, so no record can slip between the last spooled one and the first direct one.
 *
 * Every caller is answered once: `published` after Kafka's acknowledgement, `spooled` after the
 * record is synced to disk, or a PublishError (503) when neither happened (the spool is full or
 * its disk failed).
 */
export class Spooler {
  private readonly unacknowledged = new Set<Ticket>();
  private holding: boolean;
  private draining: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly log: SpoolLog,
    private readonly batcher: Batcher<KafkaRecord, PublishReceipt>,
    private readonly options: SpoolerOptions,
  ) {
    // Records left by an earlier run go first.
    this.holding = !log.isEmpty;
    if (this.holding) this.drain();
  }

  /** Records on disk waiting for Kafka. */
  get pendingRecords(): number {
    return this.log.pendingRecords;
  }

  /** True while new records are spooled instead of sent. */
  get isHolding(): boolean {
    return this.holding;
  }

  send(record: KafkaRecord): Promise<PublishReceipt> {
    if (this.holding) return this.spool([record]).then(() => spooled(record));
    return new Promise<PublishReceipt>((resolve, reject) => {
      const ticket: Ticket = { record, resolve, reject, timer: setTimeout(() => this.takeOver(), this.options.timeoutMs) };
      this.unacknowledged.add(ticket);
      this.batcher.add(record).then(
        (receipt) => {
          if (!this.unacknowledged.delete(ticket)) return;
          clearTimeout(ticket.timer);
          resolve(receipt);
        },
        () => {
          if (this.unacknowledged.has(ticket)) this.takeOver();
        },
      );
    });
  }

  /** Stops draining; what is left stays on disk for the next start. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    // A drain batch waits for Kafka without a deadline; its records stay in the spool regardless.
    await settledWithin(this.draining, graceMs);
  }

  /** Spools every record not yet acknowledged, in the order sent, and answers them `spooled`. */
  private takeOver(): void {
    const tickets = [...this.unacknowledged];
    if (tickets.length === 0) return;
    this.unacknowledged.clear();
    this.holding = true;
    this.batcher.cancelQueued(new Diverted());
    for (const ticket of tickets) clearTimeout(ticket.timer);
    this.spool(tickets.map((ticket) => ticket.record)).then(
      () => tickets.forEach((ticket) => ticket.resolve(spooled(ticket.record))),
      (error: unknown) => tickets.forEach((ticket) => ticket.reject(error)),
    );
    this.drain();
  }

  private spool(records: KafkaRecord[]): Promise<void> {
    return this.log.append(records.map(toSpoolEntry)).catch((error: unknown) => {
      const reason = error instanceof SpoolFullError ? 'the spool is full' : `the spool could not be written (${String(error)})`;
      throw new PublishError(`Kafka did not acknowledge the record and ${reason}`, { cause: error });
    });
  }

  private drain(): void {
    this.draining ??= this.drainLoop().finally(() => (this.draining = undefined));
  }

  private async drainLoop(): Promise<void> {
    const { maxRecords, maxBytes } = this.options.drainBatch;
    while (!this.stopping) {
      if (this.log.isEmpty) {
        this.holding = false;
        return;
      }
      const { entries, end } = await this.log.read(maxRecords, maxBytes);
      // Appended but not yet synced: the append resolves in a moment.
      if (entries.length === 0) {
        await sleep(5);
        continue;
      }
      try {
        await Promise.all(entries.map((entry) => this.batcher.add(fromSpoolEntry(entry))));
        await this.log.commit(end);
      } catch (error) {
        this.options.onDrainError?.(error);
        await this.untilKafkaAnswers();
      }
    }
  }

  private async untilKafkaAnswers(): Promise<void> {
    do await sleep(this.options.retryDelayMs ?? 1000);
    while (!this.stopping && !(await this.options.kafkaReachable()));
  }
}

function spooled(record: KafkaRecord): PublishReceipt {
  return { topic: record.topic, spooled: true };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
