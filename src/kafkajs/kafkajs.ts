import { createRequire } from 'node:module';
import type * as Kafkajs from 'kafkajs';
import { CRC32C_MODULE, crc32c } from './crc32c.js';
import { ENCODER_MODULE, pooledEncoderClass, type KafkajsEncoderClass } from './pooled-encoder.js';

/**
 * kafkajs, with two of its produce-path modules replaced by faster ones that give the same bytes:
 * the protocol Encoder (pooled-encoder.ts) and the record batch's CRC-32C (crc32c.ts).
 * Together they take 7–8 µs of CPU off each webhook (docs/benchmarks.md, "Where the time goes").
 * They are replaced here, at run time, rather than patched in node_modules: a patch applied at
 * install needs an install script, and the image installs with `--ignore-scripts`.
 *
 * kafkajs's modules take what they `require` once, when they load, so the replacements go into
 * `require`'s module cache before kafkajs itself loads. An ES module's `import ... from 'kafkajs'`
 * loads it before any module's code runs; the relay therefore takes kafkajs's values from here
 * and imports only types from 'kafkajs'. Nest's ClientKafka loads kafkajs later, when the client
 * is built, and gets the same module.
 */
const KAFKAJS_VERSION = '2.2.4';

const require = createRequire(import.meta.url);

/** Whether the replacements are in place; false when kafkajs was loaded first or is another version (it then runs as published). */
export const fasterEncoding = replaceEncoding();

export const kafkajs = require('kafkajs') as typeof Kafkajs;

function replaceEncoding(): boolean {
  // Loaded already, its modules hold the stock ones (kafkajs loads both when it loads).
  if ([ENCODER_MODULE, CRC32C_MODULE].some((id) => require.cache[require.resolve(id)] !== undefined)) return false;
  // Both replace kafkajs internals: only for the release they were written and tested against.
  if ((require('kafkajs/package.json') as { version: string }).version !== KAFKAJS_VERSION) return false;
  replaceModule(ENCODER_MODULE, (stock) => pooledEncoderClass(stock as KafkajsEncoderClass));
  replaceModule(CRC32C_MODULE, () => crc32c);
  return true;
}

function replaceModule(id: string, replacement: (stock: unknown) => unknown): void {
  const stock: unknown = require(id);
  require.cache[require.resolve(id)]!.exports = replacement(stock);
}
