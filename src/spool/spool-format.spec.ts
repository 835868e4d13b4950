import { describe, expect, it } from '@jest/globals';
import { crc32 } from 'node:zlib';
import { decodeFrame, encodeFrame, HEADER_BYTES, MAX_PAYLOAD_BYTES, type SpoolEntry } from './spool-format.js';

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte));
const entry: SpoolEntry = {
  topic: 'dropea.orders',
  key: 'order-42',
  value: allBytes,
  headers: { 'ce-type': 'pedido.creado', 'x-ciudad': 'Málaga 🍊', 'x-漢字': 'ñ\u0000"\\' },
};

/** A frame with a valid checksum around an arbitrary payload, to reach the checks behind it. */
function frameAround(payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = 0xa7;
  header[1] = 1;
  header.writeUInt32BE(payload.length, 2);
  header.writeUInt32BE(crc32(payload), 6);
  return Buffer.concat([header, payload]);
}

function payloadWithMeta(meta: string, value = Buffer.alloc(0)): Buffer {
  const metaBytes = Buffer.from(meta);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(metaBytes.length);
  return Buffer.concat([length, metaBytes, value]);
}

describe('spool frame', () => {
  it('round-trips topic, key, unicode headers and every byte value exactly', () => {
    const frame = encodeFrame(entry);
    const decoded = decodeFrame(frame, 0);
    expect(decoded).toEqual({ entry, next: frame.length });
    if (!('entry' in decoded)) throw new Error('not decoded');
    expect(decoded.entry.value.equals(allBytes)).toBe(true);
  });

  it('keeps a null key apart from an empty one, and an empty value', () => {
    const nullKey = decodeFrame(encodeFrame({ ...entry, key: null, value: Buffer.alloc(0) }), 0);
    const emptyKey = decodeFrame(encodeFrame({ ...entry, key: '', value: Buffer.alloc(0) }), 0);
    expect('entry' in nullKey && nullKey.entry.key).toBeNull();
    expect('entry' in emptyKey && emptyKey.entry.key).toBe('');
    expect('entry' in nullKey && nullKey.entry.value.length).toBe(0);
  });

  it('decodes frames one after another from an offset', () => {
    const second = { ...entry, key: null, headers: {} };
    const buf = Buffer.concat([encodeFrame(entry), encodeFrame(second)]);
    const first = decodeFrame(buf, 0);
    if (!('entry' in first)) throw new Error('not decoded');
    expect(decodeFrame(buf, first.next)).toEqual({ entry: second, next: buf.length });
  });

  it('reports every proper prefix of a frame as incomplete, with the full size once the header is there', () => {
    const frame = encodeFrame(entry);
    for (let length = 0; length < frame.length; length++) {
      const expected = length < HEADER_BYTES ? { incomplete: true } : { incomplete: true, needed: frame.length };
      expect(decodeFrame(frame.subarray(0, length), 0)).toEqual(expected);
    }
  });

  it('reports bad magic, unknown version, absurd length, checksum mismatch and bad metadata as corrupt', () => {
    const frame = encodeFrame(entry);
    const patched = (at: number, byte: number): Buffer => {
      const copy = Buffer.from(frame);
      copy[at] = byte;
      return copy;
    };
    expect(decodeFrame(patched(0, 0x00), 0)).toEqual({ corrupt: 'bad magic byte' });
    expect(decodeFrame(Buffer.from('x'), 0)).toEqual({ corrupt: 'bad magic byte' });
    expect(decodeFrame(patched(1, 9), 0)).toEqual({ corrupt: 'unknown format version 9' });
    expect(decodeFrame(patched(2, 0xff), 0)).toEqual({ corrupt: `impossible payload length ${frame.readUInt32BE(2) + 0xff000000}` });
    expect(decodeFrame(patched(frame.length - 1, frame[frame.length - 1]! ^ 1), 0)).toEqual({ corrupt: 'checksum mismatch' });
    expect(decodeFrame(frameAround(payloadWithMeta('{"t":"a","k":null')), 0)).toEqual({ corrupt: 'unreadable metadata' });
    expect(decodeFrame(frameAround(payloadWithMeta('{"t":1,"k":null,"h":{}}')), 0)).toEqual({ corrupt: 'unreadable metadata' });
    expect(decodeFrame(frameAround(payloadWithMeta('{"t":"a","k":null,"h":{"n":1}}')), 0)).toEqual({ corrupt: 'unreadable metadata' });
    const overlong = payloadWithMeta('{}');
    overlong.writeUInt32BE(99);
    expect(decodeFrame(frameAround(overlong), 0)).toEqual({ corrupt: 'metadata length 99 exceeds the payload' });
  });

  it('never decodes a frame with any single bit flipped into an entry', () => {
    const frame = encodeFrame(entry);
    for (let bit = 0; bit < frame.length * 8; bit++) {
      const copy = Buffer.from(frame);
      copy[bit >> 3] = copy[bit >> 3]! ^ (1 << (bit & 7));
      const decoded = decodeFrame(copy, 0);
      expect('corrupt' in decoded || 'incomplete' in decoded).toBe(true);
    }
  });

  it('refuses to encode a record over the payload cap', () => {
    expect(() => encodeFrame({ ...entry, value: Buffer.alloc(MAX_PAYLOAD_BYTES) })).toThrow(RangeError);
  });
});
