import { post, type Reply } from './http.js';

/**
 * What a Kubernetes Service does with a readiness probe, in small: each request goes to the
 * next replica whose `/health/ready` answered 200 at the last look (round robin); a replica
 * that answers 503 is out until it answers 200 again.
 */
export class ServiceRouter {
  /** Which replica (its index in `replicas`) each request went to. */
  readonly routed: number[] = [];
  private ready: boolean[];
  private next = 0;

  constructor(private readonly replicas: readonly string[]) {
    this.ready = replicas.map(() => false);
  }

  /** Probes every replica once, as the kubelet does every periodSeconds. */
  async probe(): Promise<readonly boolean[]> {
    this.ready = await Promise.all(
      this.replicas.map(async (url) => {
        const response = await fetch(`${url}/health/ready`).catch(() => undefined);
        await response?.body?.cancel();
        return response?.status === 200;
      }),
    );
    return this.ready;
  }

  /** POSTs to the next ready replica; throws when none is ready (the Service has no endpoint). */
  async post(path: string, body: string): Promise<Reply & { replica: number }> {
    for (let tried = 0; tried < this.replicas.length; tried++) {
      const replica = this.next;
      this.next = (this.next + 1) % this.replicas.length;
      if (!this.ready[replica]) continue;
      this.routed.push(replica);
      return { ...(await post(`${this.replicas[replica]}${path}`, body)), replica };
    }
    throw new Error('no replica is ready');
  }
}
