import { createHmac, hash } from 'node:crypto';

/** SHA-256's block and digest sizes in bytes (FIPS 180-4). */
const BLOCK_BYTES = 64;
const DIGEST_BYTES = 32;

/**
 * Bodies up to this size are hashed from a buffer kept with the key; a larger one (MAX_BODY_BYTES
 * allows up to 64 KB) goes through createHmac, where the hashing outweighs the objects it makes.
 * Dropea's webhooks are about 150 bytes.
 */
const KEPT_BODY_BYTES = 4096;

/**
 * One API key, ready to sign with HMAC-SHA256 (RFC 2104, https://www.rfc-editor.org/rfc/rfc2104):
 * H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ message)), the key padded to the block size (hashed first when
 * longer). The two padded keys are made once, and a digest is two calls to Node's one-shot
 * `crypto.hash`. `createHmac` makes a native Hmac object and a copy of the key for every
 * webhook, and the Hmac's constructor was the relay's largest single function under load
 * (docs/benchmarks.md, "Where the time goes"). The unit test holds the digests equal to
 * `createHmac`'s.
 */
export class HmacSha256Key {
  /** K ⊕ ipad, then room for a message of up to KEPT_BODY_BYTES. */
  private readonly inner = Buffer.alloc(BLOCK_BYTES + KEPT_BODY_BYTES);
  /** K ⊕ opad, then the inner digest. */
  private readonly outer = Buffer.alloc(BLOCK_BYTES + DIGEST_BYTES);

  constructor(private readonly key: string) {
    let bytes = Buffer.from(key, 'utf8');
    if (bytes.length > BLOCK_BYTES) bytes = hash('sha256', bytes, 'buffer');
    for (let i = 0; i < BLOCK_BYTES; i++) {
      const byte = i < bytes.length ? bytes[i]! : 0;
      this.inner[i] = byte ^ 0x36;
      this.outer[i] = byte ^ 0x5c;
    }
  }

  /** HMAC-SHA256 of `message` with this key: 32 bytes. */
  digest(message: Uint8Array): Buffer {
    if (message.length > KEPT_BODY_BYTES) return createHmac('sha256', this.key).update(message).digest();
    this.inner.set(message, BLOCK_BYTES);
    const innerDigest = hash('sha256', this.inner.subarray(0, BLOCK_BYTES + message.length), 'buffer');
    this.outer.set(innerDigest, BLOCK_BYTES);
    return hash('sha256', this.outer, 'buffer');
  }
}
