import { describe, expect, it } from '@jest/globals';
import { createHmac, randomBytes } from 'node:crypto';
import { HmacSha256Key } from './hmac-sha256-key.js';

const reference = (key: string, message: Uint8Array) => createHmac('sha256', key).update(message).digest();

describe('HmacSha256Key', () => {
  // Keys shorter than, as long as and longer than SHA-256's 64-byte block (a longer one is
  // hashed first), and one whose UTF-8 bytes outnumber its characters.
  const keys = ['', 'k', 'dropea-api-key', 'x'.repeat(63), 'x'.repeat(64), 'x'.repeat(65), 'y'.repeat(200), 'clé-ñ-€-🔑'.repeat(8)];
  // Messages around the 4,096 bytes kept with the key, the last ones through createHmac.
  const messages = [0, 1, 55, 56, 64, 150, 4095, 4096, 4097, 65_536].map((length) => randomBytes(length));

  it.each(keys.map((key) => ({ key, bytes: Buffer.byteLength(key) })))('gives createHmac’s digest for a key of $bytes bytes', ({ key }) => {
    const signer = new HmacSha256Key(key);
    for (const message of messages) expect(signer.digest(message).equals(reference(key, message))).toBe(true);
  });

  it('leaves nothing of one message in the next digest', () => {
    const signer = new HmacSha256Key('dropea-api-key');
    const long = Buffer.from('{"topic":"order:status_update","order_id":265494,"new_status":"shipped"}');
    const short = Buffer.from('{"order_id":1}');
    signer.digest(long);
    expect(signer.digest(short).equals(reference('dropea-api-key', short))).toBe(true);
  });

  it('gives the RFC 4231 test case 2 digest', () => {
    // https://www.rfc-editor.org/rfc/rfc4231#section-4.3
    const digest = new HmacSha256Key('Jefe').digest(Buffer.from('what do ya want for nothing?'));
    expect(digest.toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});
