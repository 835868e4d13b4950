// Signed webhook bodies for the load phases, every one distinct.
//
// Request number `seq` (0, 1, 2, ...) maps to an entity slot and a step:
//   slot = seq % entities, k = floor(seq / entities) + 1
// so the entity id cycles over `entities` ids and, per entity, k grows by one each cycle:
// in send order, the k of one entity is strictly increasing. The body carries k in updated_at
// (2026-01-01 00:00:00 + k seconds), which makes the relay's event id (a UUID v5 of the content)
// different for every request. Its statuses are the ones Dropea documents for the entity, in
// turn, as Dropea sends them: a status outside that vocabulary is an anomaly the relay counts
// (dropea_relay_unknown_statuses_total), not the traffic to measure.
//
// Signing costs about 3 µs a request, so bodies and signatures are prepared ahead of each
// phase (`prepare`) in compact chunks (one byte slab per chunk, off the JS heap) and handed out
// by `next()`. Only when a phase outruns what was prepared is an entry signed on the spot;
// `stats().signedDuringLoad` counts those.
import { createHmac } from 'node:crypto';

export const ORDERS_PATH = '/webhooks/dropea/orders';
export const INCIDENCES_PATH = '/webhooks/dropea/incidences';
export const SIGNATURE_HEADER = 'x-dropea-hmac-sha256';

const FIRST_ENTITY_ID = 1_000_000;
const BASE_TIME_MS = Date.UTC(2026, 0, 1, 0, 0, 0);
const CHUNK_SIZE = 8192;
const MAX_BODY_BYTES = 256; // the longest body below is about 150 bytes

/** What request `seq` is about; pure arithmetic, shared with the read-back check. */
export function describeRequest(seq, { entities, incidenceShare }) {
  const slot = seq % entities;
  const k = Math.floor(seq / entities) + 1;
  // Spreads incidences evenly: slot is an incidence when floor((slot+1)*s) steps up.
  const incidence = Math.floor((slot + 1) * incidenceShare) > Math.floor(slot * incidenceShare);
  return { kind: incidence ? 'incidence' : 'order', entityId: FIRST_ENTITY_ID + slot, k };
}

/** `YYYY-MM-DD HH:mm:ss`, the wall-clock format Dropea sends. */
function updatedAt(k) {
  const iso = new Date(BASE_TIME_MS + k * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** The k an `updated_at` of requestBody carries (the read-back's check). */
export function stepOf(updatedAtText) {
  return (Date.parse(`${String(updatedAtText).replace(' ', 'T')}Z`) - BASE_TIME_MS) / 1000;
}

// Dropea's documented statuses (fixtures/dropea/README.md), the same as src/envelope/status.ts.
const STATUSES = {
  order: ['pending', 'confirmed', 'cancelled', 'error'],
  incidence: ['pending', 'client_managed', 'solution_sent', 'resolved'],
};

export function requestBody(request) {
  const { kind, entityId, k } = request;
  const statuses = STATUSES[kind];
  const status = `"prev_status":"${statuses[(k - 1) % statuses.length]}","new_status":"${statuses[k % statuses.length]}","updated_at":"${updatedAt(k)}"`;
  return kind === 'order'
    ? `{"topic":"order:status_update","order_id":${entityId},${status}}`
    : `{"topic":"incidence:status_update","incidence_id":${entityId},${status}}`;
}

export class PayloadSequence {
  /**
   * @param {{ key: string, entities: number, incidenceShare: number }} options
   */
  constructor({ key, entities, incidenceShare }) {
    this.key = key;
    this.layout = { entities, incidenceShare };
    this.nextSeq = 0; // the next seq handed out by next()
    this.preparedUpTo = 0; // seqs below this are in chunks (or already handed out)
    this.chunks = [];
    this.signedDuringLoad = 0;
    this.bodyBytes = { min: Infinity, max: 0, total: 0, count: 0 };
  }

  describe(seq) {
    return describeRequest(seq, this.layout);
  }

  /** Makes sure at least `count` entries are ready beyond the ones handed out. */
  prepare(count) {
    const target = this.nextSeq + count;
    while (this.preparedUpTo < target) {
      this.chunks.push(this.#buildChunk(this.preparedUpTo, CHUNK_SIZE));
      this.preparedUpTo += CHUNK_SIZE;
    }
  }

  /** Prepared entries not handed out yet. */
  get ready() {
    return Math.max(0, this.preparedUpTo - this.nextSeq);
  }

  /** Drops what was prepared and not used (frees the memory; seqs stay unique). */
  discardPrepared() {
    this.chunks = [];
    this.nextSeq = Math.max(this.nextSeq, this.preparedUpTo);
    this.preparedUpTo = this.nextSeq;
  }

  /** @returns {{ seq: number, path: string, body: Buffer, signature: string }} */
  next() {
    const seq = this.nextSeq++;
    while (this.chunks.length > 0) {
      const chunk = this.chunks[0];
      const index = seq - chunk.firstSeq;
      if (index < chunk.count) {
        const start = chunk.offsets[index];
        const end = chunk.offsets[index + 1];
        if (index === chunk.count - 1) this.chunks.shift();
        return {
          seq,
          path: chunk.paths[index] === 1 ? INCIDENCES_PATH : ORDERS_PATH,
          body: chunk.slab.subarray(start, end),
          signature: chunk.signatures.toString('hex', index * 32, index * 32 + 32),
        };
      }
      this.chunks.shift();
    }
    this.preparedUpTo = this.nextSeq;
    this.signedDuringLoad += 1;
    const request = this.describe(seq);
    const body = Buffer.from(requestBody(request), 'latin1');
    this.#countBody(body.length);
    return {
      seq,
      path: request.kind === 'incidence' ? INCIDENCES_PATH : ORDERS_PATH,
      body,
      signature: createHmac('sha256', this.key).update(body).digest('hex'),
    };
  }

  stats() {
    const { min, max, total, count } = this.bodyBytes;
    return {
      handedOut: this.nextSeq,
      signedDuringLoad: this.signedDuringLoad,
      bodyBytes: count === 0 ? null : { min, max, mean: Math.round(total / count) },
    };
  }

  #countBody(length) {
    const b = this.bodyBytes;
    if (length < b.min) b.min = length;
    if (length > b.max) b.max = length;
    b.total += length;
    b.count += 1;
  }

  #buildChunk(firstSeq, count) {
    const slab = Buffer.allocUnsafe(count * MAX_BODY_BYTES);
    const offsets = new Uint32Array(count + 1);
    const paths = new Uint8Array(count);
    const signatures = Buffer.allocUnsafe(count * 32);
    let position = 0;
    for (let i = 0; i < count; i++) {
      const request = this.describe(firstSeq + i);
      const length = slab.write(requestBody(request), position, 'latin1');
      const body = slab.subarray(position, position + length);
      createHmac('sha256', this.key).update(body).digest().copy(signatures, i * 32);
      paths[i] = request.kind === 'incidence' ? 1 : 0;
      offsets[i] = position;
      position += length;
      this.#countBody(length);
    }
    offsets[count] = position;
    // Keep only the bytes used, so a chunk holds about 150 bytes a request, not 256.
    return { firstSeq, count, slab: Buffer.from(slab.subarray(0, position)), offsets, paths, signatures };
  }
}
