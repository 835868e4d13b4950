import { timingSafeEqual } from 'node:crypto';
import type { HmacSha256Key } from './hmac-sha256-key.js';

/**
 * `X-Dropea-Hmac-Sha256`: HMAC-SHA256 (RFC 2104) of the raw body bytes, keyed with a Dropea
 * API key. Dropea does not document the digest's encoding, so hex (either case) and base64
 * (RFC 4648 §4 standard or §5 URL-safe, padded or not) are accepted, with or without a
 * `sha256=` prefix.
 */
export type SignatureCheck = 'valid' | 'invalid' | 'missing';

const PREFIX = /^sha256=/i;
const HEX = /^[0-9a-f]{64}$/i;
// 32 bytes are 43 base64 characters plus one "=" of padding; one alphabet per value.
const BASE64 = /^[A-Za-z0-9+/]{43}=?$/;
const BASE64URL = /^[A-Za-z0-9_-]{43}=?$/;

/** Decodes a header value to the 32 digest bytes, or undefined when it is not one. */
export function decodeDigest(headerValue: string): Buffer | undefined {
  const value = headerValue.trim().replace(PREFIX, '');
  if (HEX.test(value)) return Buffer.from(value, 'hex');
  const urlSafe = BASE64URL.test(value);
  if (!urlSafe && !BASE64.test(value)) return undefined;
  const encoding = urlSafe ? 'base64url' : 'base64';
  const digits = value.replace(/=$/, '');
  const bytes = Buffer.from(digits, encoding);
  // The 43rd character carries 2 spare bits that decoders ignore; a value with them set is
  // not the encoding of any digest, so only the canonical encoding is accepted.
  return bytes.toString(encoding).replace(/=$/, '') === digits ? bytes : undefined;
}

/**
 * Checks the header against every key (rotation: any one matching is enough). The lengths are
 * checked before `timingSafeEqual`, which throws on unequal lengths; the comparison itself runs
 * in constant time so the digest cannot be guessed byte by byte.
 */
export function checkSignature(rawBody: Buffer, headerValue: string | undefined, keys: readonly HmacSha256Key[]): SignatureCheck {
  if (headerValue === undefined) return 'missing';
  const provided = decodeDigest(headerValue);
  if (provided === undefined) return 'invalid';
  let matched = false;
  for (const key of keys) {
    matched = timingSafeEqual(key.digest(rawBody), provided) || matched;
  }
  return matched ? 'valid' : 'invalid';
}
