import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { pooledEncoderClass, type KafkajsEncoderClass } from './pooled-encoder.js';

// kafkajs's own Encoder, as published (this file never loads kafkajs.ts).
const require = createRequire(import.meta.url);
type Encoder = {
  buffer: Buffer;
  writeInt8(value: number): Encoder;
  writeInt16(value: number): Encoder;
  writeInt32(value: number): Encoder;
  writeInt64(value: number): Encoder;
  writeVarInt(value: number): Encoder;
  writeUVarInt(value: number): Encoder;
  writeVarLong(value: number): Encoder;
  writeString(value: string | null): Encoder;
  writeVarIntString(value: string | null): Encoder;
  writeBytes(value: Buffer | null): Encoder;
  writeVarIntBytes(value: Buffer | string | null): Encoder;
  writeEncoder(value: Encoder): Encoder;
  writeArray(value: unknown[], type?: string): Encoder;
};
type EncoderClass = new (initialSize?: number) => Encoder;
const Stock = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
const Pooled = pooledEncoderClass(Stock as unknown as KafkajsEncoderClass) as unknown as EncoderClass;

/** The same writes through either class: every kind kafkajs's produce path uses. */
function encodeWith(Class: EncoderClass, initialSize?: number): Buffer {
  const header = new Class().writeVarIntString('ce_id').writeVarIntBytes('8b614812-a0f8-53b5-8857-7581c1e4365b');
  const encoder = new Class(initialSize).writeInt8(-3).writeInt16(513).writeInt32(-70_000).writeInt64(1_767_225_607_000);
  for (const value of [0, 1, -1, 63, -64, 64, 300, -301, 2 ** 20, 2 ** 31 - 1, -(2 ** 31)]) encoder.writeVarInt(value);
  for (const value of [0, 127, 128, 2 ** 28, 2 ** 32 - 1]) encoder.writeUVarInt(value);
  encoder.writeVarLong(300).writeVarLong(-1).writeString('dropea.order.status.v1').writeString(null).writeVarIntString(null);
  encoder.writeVarIntBytes(null).writeVarIntBytes('').writeVarIntBytes('ünïcödé ✓').writeVarIntBytes(Buffer.alloc(5_000, 7));
  encoder.writeBytes(Buffer.from('{"specversion":"1.0"}')).writeBytes(null).writeEncoder(header).writeArray(['a', 'b'], 'string');
  return encoder.buffer;
}

describe('the pooled Encoder', () => {
  it.each([undefined, 0, 10, 511, 8_192])('writes the bytes the stock Encoder writes (initial size %p)', (initialSize) => {
    expect(encodeWith(Pooled, initialSize).equals(encodeWith(Stock, initialSize))).toBe(true);
  });

  it('hands out only what it wrote, not the rest of its (unfilled) buffer', () => {
    const encoded = new Pooled().writeInt8(1).writeVarInt(2).buffer;
    expect([...encoded]).toEqual([1, 4]);
  });

  it('is still an Encoder to kafkajs: instanceof and the statics hold', () => {
    const encoder = new Pooled();
    expect(encoder).toBeInstanceOf(Stock);
    expect((Pooled as unknown as KafkajsEncoderClass).nextPowerOfTwo(511)).toBe(512);
    expect(new Stock().writeEncoder(encoder.writeInt8(9)).buffer).toEqual(Buffer.from([9]));
  });
});
