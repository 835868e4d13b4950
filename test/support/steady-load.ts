/** One webhook sent by the load: which entity, which of its changes, and how it was answered. */
export interface Sent {
  readonly key: number;
  readonly seq: number;
  /** HTTP status, or 0 when the request failed at the connection (refused, reset). */
  readonly status: number;
  readonly answer: string;
  readonly id: string | undefined;
  readonly at: number;
}

export interface SteadyLoadOptions {
  readonly workers: number;
  /** Entities per worker; every entity belongs to one worker, so its changes go out one at a time. */
  readonly keysPerWorker: number;
  readonly firstKey: number;
  /** Pause between two requests of a worker. */
  readonly pauseMs: number;
}

/**
 * A Dropea-like sender: each worker walks its own entities round-robin and sends each entity's
 * next status change only after the previous one was answered, as a sender that respects
 * per-entity order would. It never retries: a change answered 503 is simply not acknowledged.
 * Stops on `stop()`, or for a worker at its first connection failure when `stopOnRefusal`.
 */
export class SteadyLoad {
  readonly sent: Sent[] = [];
  private running = true;
  private readonly workers: Promise<void>[];

  constructor(
    private readonly url: string,
    private readonly options: SteadyLoadOptions,
    private readonly stopOnRefusal = false,
  ) {
    this.workers = Array.from({ length: options.workers }, (_, worker) => this.work(worker));
  }

  async stop(): Promise<Sent[]> {
    this.running = false;
    await Promise.all(this.workers);
    return this.sent;
  }

  private async work(worker: number): Promise<void> {
    const { keysPerWorker, firstKey, pauseMs } = this.options;
    const keys = Array.from({ length: keysPerWorker }, (_, i) => firstKey + worker * keysPerWorker + i);
    const seqs = new Map(keys.map((key) => [key, 0]));
    for (let turn = 0; this.running; turn++) {
      const key = keys[turn % keys.length]!;
      const seq = seqs.get(key)! + 1;
      seqs.set(key, seq);
      const sent = await this.send(key, seq);
      this.sent.push(sent);
      if (sent.status === 0 && this.stopOnRefusal) return;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }

  private async send(key: number, seq: number): Promise<Sent> {
    const body = changeBody(key, seq);
    try {
      // Node's fetch keeps connections alive, as a webhook sender's HTTP client would.
      const response = await fetch(`${this.url}/webhooks/dropea/orders`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
      const answer = safeJson(await response.text());
      return { key, seq, status: response.status, answer: String(typeof answer['status'] === 'string' ? answer['status'] : (answer['type'] ?? '')), id: answer['id'] as string | undefined, at: Date.now() };
    } catch {
      return { key, seq, status: 0, answer: 'connection failed', id: undefined, at: Date.now() };
    }
  }
}

/** Change number `seq` of order `key`: every change has its own event id, and its seq in new_status. */
export function changeBody(key: number, seq: number): string {
  const second = new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + seq * 1000).toISOString().slice(0, 19).replace('T', ' ');
  return JSON.stringify({ topic: 'order:status_update', order_id: key, prev_status: `step_${seq - 1}`, new_status: `step_${seq}`, updated_at: second });
}

/** The seq of a record the load produced, read back from its envelope. */
export function seqOf(value: Record<string, unknown>): number {
  const status = (value['data'] as { status?: string } | undefined)?.status ?? '';
  return Number(status.replace('step_', ''));
}

function safeJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}
