import { createHash } from 'node:crypto';

const KEY_BYTES = 16;

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
    if (!readUuid(id, this.scratch)) this.scratch.set(createHash('sha256').update(id).digest().subarray(0, KEY_BYTES));
    return this.scratch;
  }
}

/**
 * Writes the 16 bytes of a lower-case UUID (8-4-4-4-12 hex digits, RFC 9562 §4) into `into`, in
 * one pass that checks each character as it reads it (no regular expression, no string made);
 * false, with `into` partly written, for anything else.
 */
function readUuid(id: string, into: Uint8Array): boolean {
  if (id.length !== 36) return false;
  for (let i = 0, at = 0; i < KEY_BYTES; i++, at += 2) {
    if (at === 8 || at === 13 || at === 18 || at === 23) {
      if (id.charCodeAt(at) !== DASH) return false;
      at++;
    }
    const high = hexDigit(id.charCodeAt(at));
    const low = hexDigit(id.charCodeAt(at + 1));
    if (high < 0 || low < 0) return false;
    into[i] = (high << 4) | low;
  }
  return true;
}

const DASH = 0x2d;

/** The value of a lower-case hex digit's character code, or -1. */
function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** UUID v5 bytes are SHA-1 output, already uniform: four of them make the hash. */
function hashOf(key: Uint8Array): number {
  return ((key[12]! << 24) | (key[13]! << 16) | (key[14]! << 8) | key[15]!) >>> 0;
}
