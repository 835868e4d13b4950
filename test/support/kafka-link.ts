import { createServer, connect, type Server, type Socket } from 'node:net';
import { PROXIED_BROKER, PROXIED_BROKER_PORT, PROXIED_LISTENER_PORT } from './test-broker.mjs';

/** Kafka's Produce request (https://kafka.apache.org/protocol#The_Messages_Produce). */
const PRODUCE = 0;

/**
 * The network between one relay and Kafka, as a TCP proxy in front of the test broker's PROXIED
 * listener (test-broker.mjs): a relay with KAFKA_BROKERS=`KafkaLink.brokers` reaches Kafka only
 * through it, because the broker advertises the proxy for that listener.
 *
 * - `cut()` is a partition seen from that relay alone: open connections are closed and new ones
 *   dropped at once, while every other client still reaches the broker. `restore()` heals it.
 * - `interruptProduce()` lets metadata through but closes the connection on every Produce
 *   request for a while: a produce path that fails half-way through its work.
 *
 * Connections are closed with `destroy()`, not `resetAndDestroy()`: on Node 24 a socket reset
 * while the other side still wrote to it was seen to leave a handle that never finished
 * closing, which kept the test process from exiting.
 *
 * It reads the requests it forwards (size-prefixed frames, https://kafka.apache.org/protocol#protocol_common),
 * so a test can count Produce requests and see the timeout each one gave the broker.
 */
export class KafkaLink {
  static readonly brokers = PROXIED_BROKER;
  /** timeout_ms of every Produce request forwarded so far. */
  readonly produceTimeouts: number[] = [];
  /** Produce requests refused by an interruption. */
  interrupted = 0;
  private readonly sockets = new Set<Socket>();
  private up = true;
  private interruption: { after: number; forMs: number; until?: number } | undefined;

  private constructor(private readonly server: Server) {}

  static async open(): Promise<KafkaLink> {
    let link: KafkaLink | undefined;
    const server = createServer((client) => link!.accept(client));
    link = new KafkaLink(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(PROXIED_BROKER_PORT, '127.0.0.1', () => resolve());
    });
    return link;
  }

  cut(): void {
    this.up = false;
    this.resetAll();
  }

  restore(): void {
    this.up = true;
  }

  /** After `after` more Produce requests have gone through, refuses every Produce request for `forMs`. */
  interruptProduce({ after, forMs }: { after: number; forMs: number }): void {
    this.interruption = { after: this.produceTimeouts.length + after, forMs };
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (!this.up) {
      client.destroy();
      return;
    }
    const broker = connect(PROXIED_LISTENER_PORT, '127.0.0.1');
    this.track(client, broker);
    this.track(broker, client);
    broker.pipe(client);
    let pending: Buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        const frame = pending.subarray(0, 4 + size);
        pending = pending.subarray(frame.length);
        // A request is never shorter than its header; anything else is not Kafka's protocol.
        if (size < 8 || !this.forward(frame, broker)) {
          client.destroy();
          broker.destroy();
          return;
        }
      }
    });
  }

  /** Forwards one request, or answers false when it must be refused. */
  private forward(frame: Buffer, broker: Socket): boolean {
    if (frame.readInt16BE(4) === PRODUCE) {
      const interruption = this.interruption;
      if (interruption && this.produceTimeouts.length >= interruption.after) {
        interruption.until ??= Date.now() + interruption.forMs;
        if (Date.now() < interruption.until) {
          this.interrupted++;
          return false;
        }
        this.interruption = undefined;
      }
      this.produceTimeouts.push(produceTimeout(frame));
    }
    broker.write(frame);
    return true;
  }

  private track(from: Socket, to: Socket): void {
    this.sockets.add(from);
    from.on('error', () => to.destroy());
    from.on('close', () => {
      this.sockets.delete(from);
      to.destroy();
    });
  }

  private resetAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}

/**
 * timeout_ms of a Produce request v3 to v8 (what kafkajs sends): after the request header
 * (api_key, api_version, correlation_id, client_id) come transactional_id and acks.
 */
function produceTimeout(frame: Buffer): number {
  let at = 4 + 2 + 2 + 4;
  const clientId = frame.readInt16BE(at);
  at += 2 + Math.max(clientId, 0);
  const transactionalId = frame.readInt16BE(at);
  at += 2 + Math.max(transactionalId, 0);
  at += 2; // acks
  return frame.readInt32BE(at);
}
