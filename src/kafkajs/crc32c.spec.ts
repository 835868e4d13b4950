import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { crc32c } from './crc32c.js';

// kafkajs's own JavaScript CRC-32C, which this one replaces (this file never loads kafkajs.ts).
const require = createRequire(import.meta.url);
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (body: Buffer) => number;

const ascending = Buffer.from(Array.from({ length: 32 }, (_, i) => i));

describe('crc32c', () => {
  // RFC 3720 (iSCSI), §B.4, the CRC-32C examples; the values are unsigned numbers, as kafkajs writes them.
  it.each([
    ['32 bytes of zeros', Buffer.alloc(32), 0x8a9136aa],
    ['32 bytes of 0xff', Buffer.alloc(32, 0xff), 0x62a8ab43],
    ['32 ascending bytes', ascending, 0x46dd794e],
    ['32 descending bytes', Buffer.from(ascending).reverse(), 0x113fdb5c],
  ])('gives the CRC-32C of %s', (_name, body, crc) => {
    expect(crc32c(body)).toBe(crc);
  });

  it("gives kafkajs's checksum for bodies of any length", () => {
    for (const length of [0, 1, 7, 8, 63, 64, 65, 850, 4096, 25_000]) {
      const body = Buffer.from(Array.from({ length }, (_, i) => (i * 131 + length) & 0xff));
      expect(crc32c(body)).toBe(kafkajsCrc32c(body));
    }
  });
});
