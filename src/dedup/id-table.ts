import { createHash } from 'node:crypto';

const KEY_BYTES = 16;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A fixed-capacity set of ids with an expiry each, oldest first out, held in typed arrays.
 *
 * Why not a Set of strings: under load every remembered id is a string that outlives two young
 * collections and is promoted to V8's old space, then dies there when evicted. At 8,000 events/s
 * that churn made the old space, and the relay's RSS, grow by 60 MB for 20,000 ids
 * (docs/benchmarks.md). Here an id is 16 bytes copied into one preallocated buffer: the string
 * dies young, and the memory is fixed at start.
 *
 * Layout: entries live in a ring of `capacity` slots, in insertion order (so the oldest is at
 * the head and expiries are in order for a constant TTL); an open-addressing index with linear
 * probing maps a key's hash to its slot, and a removal shifts the probe chain back (Knuth's
 * Algorithm R) so lookups never need tombstones.
 */
export class IdTable {
  private readonly keys: Uint8Array;
  private readonly expiries: Float64Array;
  private readonly index: Int32Array;
  private readonly mask: number;
  private readonly scratch = new Uint8Array(KEY_BYTES);
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.keys = new Uint8Array(capacity * KEY_BYTES);
    this.expiries = new Float64Array(capacity);
    // A load factor of at most one half keeps probe chains short.
    let size = 2;
    while (size < capacity * 2) size *= 2;
    this.index = new Int32Array(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  has(id: string): boolean {
    return this.find(this.keyOf(id)) >= 0;
  }

  /** Adds an id that is not in the table; the oldest goes first when it is full. */
  add(id: string, expiresAt: number): void {
    if (this.capacity === 0) return;
    const key = this.keyOf(id);
    if (this.count === this.capacity) this.dropOldest();
    const slot = (this.head + this.count) % this.capacity;
    this.keys.set(key, slot * KEY_BYTES);
    this.expiries[slot] = expiresAt;
    this.count++;
    let position = hashOf(key) & this.mask;
    while (this.index[position] !== 0) position = (position + 1) & this.mask;
    this.index[position] = slot + 1;
  }

  /** Forgets the ids that expired by `now` (the oldest are first). */
  expire(now: number): void {
    while (this.count > 0 && this.expiries[this.head]! <= now) this.dropOldest();
  }

  private dropOldest(): void {
    const slot = this.head;
    const key = this.keys.subarray(slot * KEY_BYTES, (slot + 1) * KEY_BYTES);
    this.remove(this.find(key));
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }

  /** The index position that holds `key`, or -1. */
  private find(key: Uint8Array): number {
    for (let position = hashOf(key) & this.mask; ; position = (position + 1) & this.mask) {
      const entry = this.index[position]!;
      if (entry === 0) return -1;
      if (this.matches(entry - 1, key)) return position;
    }
  }

  private matches(slot: number, key: Uint8Array): boolean {
    const offset = slot * KEY_BYTES;
    for (let i = 0; i < KEY_BYTES; i++) if (this.keys[offset + i] !== key[i]) return false;
    return true;
  }

  /** Empties an index position, moving later entries of its probe chain back into the gap. */
  private remove(position: number): void {
    let gap = position;
    for (let next = (gap + 1) & this.mask; this.index[next] !== 0; next = (next + 1) & this.mask) {
      const slot = this.index[next]! - 1;
      const home = hashOf(this.keys.subarray(slot * KEY_BYTES, (slot + 1) * KEY_BYTES)) & this.mask;
      // The entry at `next` may fill the gap only if its home is not cyclically within (gap, next].
      const stays = gap <= next ? gap < home && home <= next : gap < home || home <= next;
      if (stays) continue;
      this.index[gap] = this.index[next]!;
      gap = next;
    }
    this.index[gap] = 0;
  }

  /** Event ids are UUIDs: their 16 bytes; any other id: the first 16 bytes of its SHA-256. */
  private keyOf(id: string): Uint8Array {
    if (id.length === 36 && UUID.test(id)) {
      // Two hex digits a byte, stepping over the dashes at 8, 13, 18 and 23; no string is made.
      for (let i = 0, at = 0; i < KEY_BYTES; i++, at += 2) {
        if (at === 8 || at === 13 || at === 18 || at === 23) at++;
        this.scratch[i] = (hexDigit(id.charCodeAt(at)) << 4) | hexDigit(id.charCodeAt(at + 1));
      }
      return this.scratch;
    }
    this.scratch.set(createHash('sha256').update(id).digest().subarray(0, KEY_BYTES));
    return this.scratch;
  }
}

/** The value of a lower-case hex digit's character code (UUID has let only those through). */
function hexDigit(code: number): number {
  return code <= 57 ? code - 48 : code - 87;
}

/** UUID v5 bytes are SHA-1 output, already uniform: four of them make the hash. */
function hashOf(key: Uint8Array): number {
  return ((key[12]! << 24) | (key[13]! << 16) | (key[14]! << 8) | key[15]!) >>> 0;
}
