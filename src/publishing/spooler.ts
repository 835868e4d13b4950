import { SpoolFullError, type SpoolStore, type StoredEntry } from '../spool/spool-store.js';
import type { Batcher, Settlement } from './batcher.js';
import { settledWithin } from './deadline.js';
import { PublishError, RecordRefusedError, TopicUnavailableError, type PublishReceipt } from './event-publisher.js';
import { fromSpooledRecord, refusedDeadLetter, toSpooledRecord, type KafkaRecord, type Outgoing } from './kafka-record.js';

export interface SpoolerOptions {
  /** PUBLISH_TIMEOUT_MS: how long a record may wait for Kafka before it is spooled instead. */
  readonly timeoutMs: number;
  /** SPOOL_STALL_SECONDS, in ms: a drain without progress for this long is stalled. */
  readonly stallMs: number;
  /** Sends one produce request (kafka-sender.ts): one outcome per record. */
  readonly send: (records: readonly KafkaRecord[], deadline: number) => Promise<Settlement<PublishReceipt>[]>;
  /** How many of these records, oldest first, fit in one produce request (batcher.ts, countFitting). */
  readonly fitting: (records: readonly KafkaRecord[]) => number;
  /** The most the drain reads at a time (KAFKA_BATCH_MAX_RECORDS). */
  readonly maxRecords: number;
  /** Whether Kafka answers now; the drainer waits for it after a failed attempt. */
  readonly kafkaReachable: () => Promise<boolean>;
  readonly events?: SpoolEvents;
  readonly retryDelayMs?: number;
  readonly now?: () => number;
}

/** What the drain reports as it goes, for logs and metrics. */
export interface SpoolEvents {
  /** A drain attempt failed; it is tried again once Kafka answers. */
  drainFailed?(error: unknown): void;
  /** The drain has made no progress for SPOOL_STALL_SECONDS (once per stall). */
  stalled?(state: SpoolState): void;
  /** The drain moved again after a stall. */
  resumed?(): void;
  /** A spooled record Kafka refused for good was published as a dead letter instead. */
  deadLettered?(refusal: RecordRefusedError): void;
}

/** The spool as `/health/ready` and `/metrics` report it. */
export interface SpoolState {
  readonly records: number;
  readonly bytes: number;
  /** Seconds since the oldest waiting record was spooled; 0 when empty. */
  readonly oldestAgeSeconds: number;
  /** Seconds the drain has gone without progress while records wait; 0 when empty or draining. */
  readonly sinceProgressSeconds: number;
  readonly stalled: boolean;
  /** Why the last drain attempt failed, while records wait. */
  readonly lastError?: string;
}

interface Ticket {
  readonly outgoing: Outgoing;
  readonly resolve: (receipt: PublishReceipt) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

class Diverted extends Error {}

/**
 * SPOOL_DIR: records go to Kafka through the batcher as usual; the moment one of them cannot be
 * acknowledged within PUBLISH_TIMEOUT_MS (or Kafka cannot be reached), the spool takes over.
 *
 * Per-key order is the point of every rule here:
 * - Taking over spools every record not yet acknowledged, in the order they were sent, the one
 *   that failed included, and cancels those still queued in the batcher. A batch already in
 *   flight may still land: its records then reach Kafka twice, the first time in order, which
 *   at-least-once allows (consumers deduplicate on the event id).
 * - While the spool holds anything, new records are appended behind it rather than sent.
 * - The drain sends one produce request at a time, oldest records first, and only once the
 *   batch in flight (if any) has settled; it removes records from the spool only once each is
 *   settled, and only as a prefix: after a failure nothing later is removed, and the next
 *   attempt starts again from the first unsettled record, alone until it passes. So a later
 *   record of a key never reaches Kafka before an earlier one.
 * - A record Kafka refuses for good (too large for its topic, invalid) is published as its dead
 *   letter instead, and the drain goes on. A record the topic cannot take now (missing, not
 *   authorised), or a dead letter the dead-letter topic refuses, stops the drain: waiting keeps
 *   it in order until the operator fixes the topic, and the stall shows on /health/ready, in
 *   the log and in `dropea_relay_spool_stalled`.
 * - Direct sending resumes only when the spool is empty and no append is under way, checked
 *   synchronously, so no record can slip between the last spooled one and the first direct one.
 *
 * Every caller is answered once: `published` after Kafka's acknowledgement, `spooled` after the
 * record is committed to disk, or an error (503) when neither happened (the spool is full or
 * its disk failed); a record refused for good, or bound for a topic that cannot take it, is
 * answered with that error and never spooled.
 */
export class Spooler {
  private readonly unacknowledged = new Set<Ticket>();
  private holding: boolean;
  private draining: Promise<void> | undefined;
  private stopping = false;
  private progressAt: number;
  private lastError: string | undefined;
  private reportedStall = false;
  /** After a failed attempt the oldest record is tried alone, so records after it are not sent again and again. */
  private alone = false;
  private readonly now: () => number;

  constructor(
    private readonly store: SpoolStore,
    private readonly batcher: Batcher<KafkaRecord, PublishReceipt>,
    private readonly options: SpoolerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.progressAt = this.now();
    // Records left by an earlier run go first.
    this.holding = !store.isEmpty;
    if (this.holding) this.drain();
  }

  /** True while new records are spooled instead of sent. */
  get isHolding(): boolean {
    return this.holding;
  }

  get state(): SpoolState {
    const now = this.now();
    const records = this.store.pendingRecords;
    const oldest = this.store.oldestSpooledAt;
    const sinceProgress = records === 0 ? 0 : Math.max(0, now - this.progressAt);
    return {
      records,
      bytes: this.store.pendingBytes,
      oldestAgeSeconds: oldest === undefined ? 0 : Math.max(0, now - oldest) / 1000,
      sinceProgressSeconds: sinceProgress / 1000,
      stalled: records > 0 && sinceProgress >= this.options.stallMs,
      ...(records > 0 && this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  send(outgoing: Outgoing): Promise<PublishReceipt> {
    if (this.holding) return this.spool([outgoing]).then(() => spooled(outgoing.record));
    return new Promise<PublishReceipt>((resolve, reject) => {
      const ticket: Ticket = { outgoing, resolve, reject, timer: setTimeout(() => this.takeOver(), this.options.timeoutMs) };
      this.unacknowledged.add(ticket);
      this.batcher.add(outgoing.record, this.now() + this.options.timeoutMs).then(
        (receipt) => {
          if (!this.settle(ticket)) return;
          resolve(receipt);
        },
        (error: unknown) => {
          if (!this.unacknowledged.has(ticket)) return;
          // Kafka answered about this record alone: it fails alone, and is never spooled.
          if (error instanceof RecordRefusedError || error instanceof TopicUnavailableError) {
            this.settle(ticket);
            reject(error);
          } else {
            this.takeOver();
          }
        },
      );
    });
  }

  /** Stops draining; what is left stays on disk for the next start. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    // A drain request waits for Kafka at most PUBLISH_TIMEOUT_MS; its records stay in the spool regardless.
    await settledWithin(this.draining, graceMs);
  }

  private settle(ticket: Ticket): boolean {
    if (!this.unacknowledged.delete(ticket)) return false;
    clearTimeout(ticket.timer);
    return true;
  }

  /** Spools every record not yet acknowledged, in the order sent, and answers them `spooled`. */
  private takeOver(): void {
    const tickets = [...this.unacknowledged];
    if (tickets.length === 0) return;
    this.unacknowledged.clear();
    if (!this.holding) this.progressAt = this.now();
    this.holding = true;
    this.batcher.cancelQueued(new Diverted());
    for (const ticket of tickets) clearTimeout(ticket.timer);
    this.spool(tickets.map((ticket) => ticket.outgoing)).then(
      () => tickets.forEach((ticket) => ticket.resolve(spooled(ticket.outgoing.record))),
      (error: unknown) => tickets.forEach((ticket) => ticket.reject(error)),
    );
    this.drain();
  }

  private spool(outgoing: readonly Outgoing[]): Promise<void> {
    const entries = outgoing.map(({ record, fallback }) => ({
      record: toSpooledRecord(record),
      ...(fallback ? { fallback: toSpooledRecord(fallback()) } : {}),
    }));
    return this.store.append(entries).catch((error: unknown) => {
      const reason = error instanceof SpoolFullError ? 'the spool is full (SPOOL_MAX_BYTES)' : `the spool could not be written (${String(error)})`;
      throw new PublishError(`Kafka did not acknowledge the record and ${reason}`, { cause: error });
    });
  }

  private drain(): void {
    this.draining ??= this.drainLoop().finally(() => (this.draining = undefined));
  }

  private async drainLoop(): Promise<void> {
    while (!this.stopping) {
      if (this.store.isEmpty) {
        this.holding = false;
        this.progressed();
        return;
      }
      // A batch sent before the take-over settles first: the drain never races it.
      await this.batcher.idle();
      const entries = this.store.oldestEntries(this.options.maxRecords);
      // Appended but not yet committed: the append resolves in a moment.
      if (entries.length === 0) {
        await sleep(5);
        continue;
      }
      const records = entries.map((entry) => fromSpooledRecord(entry.record));
      const count = this.alone ? 1 : Math.max(1, this.options.fitting(records));
      try {
        await this.publish(entries.slice(0, count), records.slice(0, count));
        this.alone = false;
      } catch (error) {
        this.alone = true;
        this.lastError = String((error as Error)?.message ?? error);
        this.options.events?.drainFailed?.(error);
        await this.untilRetry();
      }
    }
  }

  /**
   * One produce request for `entries`; their dead letters for those refused for good. Removes
   * the longest prefix that is settled, then throws what stopped the rest, if anything did.
   */
  private async publish(entries: readonly StoredEntry[], records: readonly KafkaRecord[]): Promise<void> {
    const deadline = this.now() + this.options.timeoutMs;
    const results = await this.options.send(records, deadline);
    // Settled: acknowledged, or refused for good with a dead letter to stand in for it.
    const blocked = results.findIndex((result, index) => !result.ok && !(result.error instanceof RecordRefusedError && entries[index]!.fallback));
    let end = blocked < 0 ? entries.length : blocked;
    let stop = blocked < 0 ? undefined : errorOf(results[blocked]!);
    const refused = entries.slice(0, end).flatMap((entry, index) => {
      const error = errorOf(results[index]!);
      return error instanceof RecordRefusedError ? [{ index, refusal: error, letter: refusedDeadLetter(fromSpooledRecord(entry.fallback!), error) }] : [];
    });
    if (refused.length > 0) {
      const kept = await this.options.send(refused.map(({ letter }) => letter), deadline).catch((error: unknown) => refused.map(() => ({ ok: false as const, error })));
      const failed = kept.findIndex((result) => !result.ok);
      if (failed >= 0) {
        end = refused[failed]!.index;
        stop = errorOf(kept[failed]!);
      }
      for (const { refusal } of refused.slice(0, failed < 0 ? undefined : failed)) this.options.events?.deadLettered?.(refusal);
    }
    if (end > 0) {
      this.store.removeThrough(entries[end - 1]!.seq);
      this.progressed();
    }
    if (stop !== undefined) throw stop;
  }

  private progressed(): void {
    this.progressAt = this.now();
    this.lastError = undefined;
    if (this.reportedStall) this.options.events?.resumed?.();
    this.reportedStall = false;
  }

  /** Waits a moment and until Kafka answers, saying once when the drain has stalled. */
  private async untilRetry(): Promise<void> {
    do {
      const state = this.state;
      if (state.stalled && !this.reportedStall) {
        this.reportedStall = true;
        this.options.events?.stalled?.(state);
      }
      await sleep(this.options.retryDelayMs ?? 1000);
    } while (!this.stopping && !(await this.options.kafkaReachable()));
  }
}

function errorOf(result: Settlement<PublishReceipt>): unknown {
  return result.ok ? undefined : result.error;
}

function spooled(record: KafkaRecord): PublishReceipt {
  return { topic: record.topic, spooled: true };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
