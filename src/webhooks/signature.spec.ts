import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { HmacSha256Key } from './hmac-sha256-key.js';
import { checkSignature, decodeDigest } from './signature.js';

const body = Buffer.from('{"topic":"order:status_update","order_id":265494}');
const key = 'dropea-api-key';
const signer = new HmacSha256Key(key);
const nextSigner = new HmacSha256Key('next-key');
const digest = createHmac('sha256', key).update(body).digest();
const hex = digest.toString('hex');
const base64 = digest.toString('base64');
const base64url = digest.toString('base64url');

describe('checkSignature', () => {
  it.each([
    ['lower-case hex', hex],
    ['upper-case hex', hex.toUpperCase()],
    ['padded base64', base64],
    ['unpadded base64', base64.replace(/=$/, '')],
    ['base64url', base64url],
    ['padded base64url', `${base64url}=`],
    ['sha256= prefix with hex', `sha256=${hex}`],
    ['SHA256= prefix with base64', `SHA256=${base64}`],
    ['surrounding spaces', `  ${hex} `],
  ])('accepts %s', (_name, header) => {
    expect(checkSignature(body, header, [signer])).toBe('valid');
  });

  it('is missing when the header is absent', () => {
    expect(checkSignature(body, undefined, [signer])).toBe('missing');
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['the prefix alone', 'sha256='],
    ['hex one character short', hex.slice(1)],
    ['hex one byte long', `${hex}00`],
    ['hex of another body', createHmac('sha256', key).update('other').digest('hex')],
    ['hex with a non-hex character', `${hex.slice(0, 63)}g`],
    ['base64 of 31 bytes', digest.subarray(1).toString('base64')],
    ['base64 of 33 bytes', Buffer.concat([digest, Buffer.from([0])]).toString('base64')],
    ['base64 mixing both alphabets', `+_${base64.slice(2)}`],
    ['base64 with a character outside both alphabets', `*${base64.slice(1)}`],
    ['base64 with double padding', `${base64}=`],
    ['base64 with spare bits set', `${base64.slice(0, 42)}${String.fromCharCode(base64.charCodeAt(42) + 1)}=`],
    ['two headers joined by Node', `${hex}, ${hex}`],
    ['a digest keyed with another key', createHmac('sha256', 'other-key').update(body).digest('hex')],
  ])('is invalid for %s', (_name, header) => {
    expect(checkSignature(body, header, [signer])).toBe('invalid');
  });

  it('accepts a digest made with any of several keys (rotation)', () => {
    const next = createHmac('sha256', 'next-key').update(body).digest('base64');
    expect(checkSignature(body, hex, [nextSigner, signer])).toBe('valid');
    expect(checkSignature(body, next, [nextSigner, signer])).toBe('valid');
    expect(checkSignature(body, next, [signer])).toBe('invalid');
  });

  it('signs the raw bytes: the same JSON re-serialised does not match', () => {
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 2));
    expect(checkSignature(reformatted, hex, [signer])).toBe('invalid');
  });
});

describe('decodeDigest', () => {
  it('decodes every accepted encoding to the same 32 bytes', () => {
    for (const value of [hex, hex.toUpperCase(), base64, base64url, base64url.replace(/=$/, '')]) {
      expect(decodeDigest(value)).toEqual(digest);
    }
  });
});
