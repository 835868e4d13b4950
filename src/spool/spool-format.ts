import { crc32 } from 'node:zlib';

/**
 * One spooled record on disk, as a self-checking frame. Integers are big-endian.
 *
 *   offset  size  field
 *   0       1     magic 0xA7
 *   1       1     format version 1
 *   2       4     payload length P
 *   6       4     CRC32 (zlib) of the P payload bytes
 *   10      P     payload:
 *                   4      metadata length M
 *                   M      metadata: UTF-8 JSON {"t": topic, "k": key or null, "h": headers}
 *                   P-4-M  the value bytes, verbatim
 *
 * The value stays outside the JSON so any bytes round-trip exactly and cost no escaping. The
 * payload length is capped so a damaged header can't make a reader allocate or wait for
 * gigabytes; the CRC covers the whole payload, so a damaged frame is reported, never decoded
 * into a different record.
 */

/** A record waiting in the spool for Kafka. */
export interface SpoolEntry {
  readonly topic: string;
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

export type DecodeResult =
  | { readonly entry: SpoolEntry; readonly next: number }
  /** `needed` is the whole frame's size, once the header says it. */
  | { readonly incomplete: true; readonly needed?: number }
  | { readonly corrupt: string };

export const HEADER_BYTES = 10;
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
const MAGIC = 0xa7;
const VERSION = 1;

export function encodeFrame(entry: SpoolEntry): Buffer {
  const meta = Buffer.from(JSON.stringify({ t: entry.topic, k: entry.key, h: entry.headers }), 'utf8');
  const payloadBytes = 4 + meta.length + entry.value.length;
  if (payloadBytes > MAX_PAYLOAD_BYTES) {
    throw new RangeError(`A spool record holds at most ${MAX_PAYLOAD_BYTES} bytes, this one ${payloadBytes}`);
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payloadBytes);
  frame[0] = MAGIC;
  frame[1] = VERSION;
  frame.writeUInt32BE(payloadBytes, 2);
  frame.writeUInt32BE(meta.length, HEADER_BYTES);
  meta.copy(frame, HEADER_BYTES + 4);
  entry.value.copy(frame, HEADER_BYTES + 4 + meta.length);
  frame.writeUInt32BE(crc32(frame.subarray(HEADER_BYTES)), 6);
  return frame;
}

/** Decodes the frame at `offset`, telling a torn tail (incomplete) from damage (corrupt). */
export function decodeFrame(buf: Buffer, offset: number): DecodeResult {
  const available = buf.length - offset;
  // Checking the leading bytes first classifies garbage as corrupt even when it is short.
  if (available >= 1 && buf[offset] !== MAGIC) return { corrupt: 'bad magic byte' };
  if (available >= 2 && buf[offset + 1] !== VERSION) return { corrupt: `unknown format version ${buf[offset + 1]}` };
  if (available < HEADER_BYTES) return { incomplete: true };
  const payloadBytes = buf.readUInt32BE(offset + 2);
  if (payloadBytes < 4 || payloadBytes > MAX_PAYLOAD_BYTES) return { corrupt: `impossible payload length ${payloadBytes}` };
  const next = offset + HEADER_BYTES + payloadBytes;
  if (next > buf.length) return { incomplete: true, needed: HEADER_BYTES + payloadBytes };
  const payload = buf.subarray(offset + HEADER_BYTES, next);
  if (crc32(payload) !== buf.readUInt32BE(offset + 6)) return { corrupt: 'checksum mismatch' };
  const metaBytes = payload.readUInt32BE(0);
  if (metaBytes > payload.length - 4) return { corrupt: `metadata length ${metaBytes} exceeds the payload` };
  const entry = parseMeta(payload.subarray(4, 4 + metaBytes), payload.subarray(4 + metaBytes));
  return entry ? { entry, next } : { corrupt: 'unreadable metadata' };
}

function parseMeta(meta: Buffer, value: Buffer): SpoolEntry | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(meta.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { t, k, h } = parsed as Record<string, unknown>;
  if (typeof t !== 'string' || (k !== null && typeof k !== 'string')) return undefined;
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return undefined;
  if (!Object.values(h).every((header) => typeof header === 'string')) return undefined;
  // A copy, so a returned entry doesn't pin the whole read buffer in memory.
  return { topic: t, key: k, headers: h as Record<string, string>, value: Buffer.from(value) };
}
