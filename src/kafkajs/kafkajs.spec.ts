import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fasterEncoding, kafkajs } from './kafkajs.js';

// kafkajs's record encoders (not part of its typed API): what it puts on the wire.
const require = createRequire(import.meta.url);
type Encoded = { buffer: Buffer; constructor: { name: string } };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: object) => Encoded;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (batch: object) => Promise<Encoded> };
const Long = require('kafkajs/src/utils/long') as { fromInt(value: number): unknown };

// The same batch encoded by kafkajs 2.2.4 as published (its own Encoder and CRC-32C), base64.
const STOCK_BATCH =
  'AAAAAAAAAAAAAAFBAAAAAAKnYKVVAAAAAAABAAABm3baw1gAAAGbdtrEhAAAAAAAAA+gAAIAAAARAAAAAuQCAAAADDI2NTQ5NIIBeyJzcGVjdmVyc2lvbiI6IjEuMCIsImlkIjoiOGI2MTQ4MTItYTBmOC01M2I1LTg4NTctNzU4MWMxZTQzNjViIn0EGGNvbnRlbnQtdHlwZVZhcHBsaWNhdGlvbi9jbG91ZGV2ZW50cytqc29uOyBjaGFyc2V0PVVURi04CmNlX2lkSDhiNjE0ODEyLWEwZjgtNTNiNS04ODU3LTc1ODFjMWU0MzY1YrQBANgEAgEew7xuw69jw7Zkw6kg4pyTAhZ0cmFjZXBhcmVudG4wMC00YmY5MmYzNTc3YjM0ZGE2YTNjZTkyOWQwZTBlNDczNi0wMGYwNjdhYTBiYTkwMmI3LTAx';

describe('kafkajs with faster encoding', () => {
  it('replaces the Encoder and the CRC-32C when it is loaded first', () => {
    expect(fasterEncoding).toBe(true);
    expect(Record({ key: null, value: Buffer.from('x') }).constructor.name).toBe('PooledEncoder');
    expect(typeof kafkajs.Kafka).toBe('function');
  });

  it('encodes a record batch byte for byte as kafkajs does, checksum included', async () => {
    const records = [
      Record({
        offsetDelta: 0,
        timestampDelta: 0,
        key: Buffer.from('265494'),
        value: Buffer.from('{"specversion":"1.0","id":"8b614812-a0f8-53b5-8857-7581c1e4365b"}'),
        headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8', ce_id: '8b614812-a0f8-53b5-8857-7581c1e4365b' },
      }),
      Record({ offsetDelta: 1, timestampDelta: 300, key: null, value: Buffer.from('ünïcödé ✓'), headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } }),
    ];
    const batch = await RecordBatch({
      firstOffset: Long.fromInt(0),
      firstTimestamp: 1767225607000,
      maxTimestamp: 1767225607300,
      lastOffsetDelta: 1,
      producerId: Long.fromInt(4000),
      producerEpoch: 2,
      firstSequence: 17,
      records,
    });
    expect(batch.buffer.toString('base64')).toBe(STOCK_BATCH);
  });

  it("is the relay's only way to kafkajs's values: anywhere else, an import from 'kafkajs' would load it first", () => {
    const src = dirname(dirname(fileURLToPath(import.meta.url)));
    const sources = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'));
    const loading = sources.filter((file) => /^(import|export) (?!type )[^;]*from 'kafkajs';/m.test(readFileSync(join(src, file), 'utf8')));
    expect(sources.length).toBeGreaterThan(50);
    expect(loading).toEqual([]);
  });
});
