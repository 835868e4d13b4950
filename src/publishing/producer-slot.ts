import type { Producer } from 'kafkajs';

interface Generation {
  readonly producer: Promise<Producer>;
  readonly connected: Promise<Producer>;
  inFlight: number;
  drained?: () => void;
  disposed?: Promise<void>;
}

/**
 * Holds the one producer sends go through, and replaces it after a failure.
 *
 * Why replace: after a failed send kafkajs rolls the idempotent producer's sequence numbers
 * back, yet the broker may have written that batch; the next batch could then reuse its
 * sequence and be dropped by the broker as a duplicate while reported as written. A new
 * producer has a new producer id and cannot collide; the Java client bumps its epoch for the
 * same reason (KIP-360).
 *
 * Why wait before disconnecting a replaced producer: sends still retrying on it reconnect its
 * cluster by themselves, so it is disconnected only once its last send has settled (kafkajs
 * bounds those retries); anything else would leak its connections.
 */
export class ProducerSlot {
  private current: Generation | undefined;
  private readonly retired = new Set<Generation>();
  private closed = false;

  constructor(private readonly create: () => Promise<Producer>) {}

  /** Runs `work` on the current producer, connecting one first if needed. */
  async run<T>(work: (producer: Producer) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('The Kafka producer is closed');
    const generation = (this.current ??= this.open());
    generation.inFlight++;
    try {
      return await work(await generation.connected);
    } catch (error) {
      this.retire(generation);
      throw error;
    } finally {
      generation.inFlight--;
      if (generation.inFlight === 0) generation.drained?.();
    }
  }

  /** Retires the current producer; resolves once every producer has settled and disconnected. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.current) this.retire(this.current);
    await Promise.all([...this.retired].map((generation) => generation.disposed));
  }

  private open(): Generation {
    const producer = this.create();
    const connected = producer.then(async (p) => {
      await p.connect();
      return p;
    });
    connected.catch(() => undefined);
    return { producer, connected, inFlight: 0 };
  }

  private retire(generation: Generation): void {
    if (generation.disposed) return;
    if (this.current === generation) this.current = undefined;
    this.retired.add(generation);
    const drained =
      generation.inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (generation.drained = resolve));
    generation.disposed = drained
      .then(() => generation.producer)
      .then((producer) => producer.disconnect())
      .catch(() => undefined)
      .finally(() => this.retired.delete(generation));
  }
}
