/**
 * kafkajs 2.2.4 encodes every produce request with its protocol Encoder, which starts each
 * piece (a record, each record header, the batch, the request) in a new zero-filled
 * `Buffer.alloc(512)` and doubles it the same way as it grows. A zero-filled Buffer over 64 bytes
 * gets its own off-heap ArrayBuffer, which costs about 0.6 µs to make on Node 24 and more work for
 * the garbage collector to free: with the relay's five record headers that is seven or more per
 * webhook, 5–7 µs of its CPU (docs/benchmarks.md, "Where the time goes").
 *
 * This subclass takes the same buffers from Node's shared pool instead (`Buffer.allocUnsafe`,
 * https://nodejs.org/api/buffer.html#static-method-bufferallocunsafesize), and writes
 * varints in place instead of through a temporary array and `Buffer.from`. The bytes it produces
 * are the stock Encoder's (pooled-encoder.spec.ts compares them). An unfilled pooled buffer holds
 * old bytes, but an Encoder only ever hands out what it wrote (`buffer` is `buf[0, offset)`),
 * and kafkajs reads `buf` nowhere else.
 *
 * It is installed by kafkajs.ts, for kafkajs 2.2.4 only.
 */

/** The part of kafkajs's Encoder (src/protocol/encoder.js) this relies on. */
interface KafkajsEncoder {
  buf: Buffer;
  offset: number;
}

export interface KafkajsEncoderClass {
  new (initialSize?: number): KafkajsEncoder;
  nextPowerOfTwo(value: number): number;
}

/** Where kafkajs's modules load the Encoder from. */
export const ENCODER_MODULE = 'kafkajs/src/protocol/encoder.js';

const DEFAULT_INITIAL_SIZE = 511;

/** The stock Encoder with pooled buffers; statics and every other method are inherited. */
export function pooledEncoderClass(Stock: KafkajsEncoderClass): KafkajsEncoderClass {
  /** The stock Encoder's buffer size for `bytes` (the next power of two), from the pool. */
  const pooledBuffer = (bytes: number): Buffer => Buffer.allocUnsafe(Stock.nextPowerOfTwo(bytes));

  class PooledEncoder extends Stock {
    constructor(initialSize = DEFAULT_INITIAL_SIZE) {
      // The stock constructor allocates Buffer.alloc(nextPowerOfTwo(size)): size 0 gives a
      // 1-byte buffer, held in V8's heap and cheap, which is replaced at once.
      super(0);
      this.buf = pooledBuffer(initialSize);
    }

    ensureAvailable(length: number): void {
      if (this.offset + length <= this.buf.length) return;
      const grown = pooledBuffer(this.offset + length);
      this.buf.copy(grown, 0, 0, this.offset);
      this.buf = grown;
    }

    /** Unsigned LEB128 (https://kafka.apache.org/documentation/#recordheader), at most 5 bytes for 32 bits. */
    writeUVarInt(value: number): this {
      this.ensureAvailable(5);
      let rest = value;
      while ((rest & ~0x7f) !== 0) {
        this.buf[this.offset++] = (rest & 0x7f) | 0x80;
        rest >>>= 7;
      }
      this.buf[this.offset++] = rest & 0x7f;
      return this;
    }
  }
  return PooledEncoder;
}
