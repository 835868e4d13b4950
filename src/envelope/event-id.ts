import { hash } from 'node:crypto';
import type { WebhookTopic } from './envelope.js';
import { canonicalStatusName } from './status.js';

/**
 * Namespace of the relay's event ids (UUID v5, RFC 4122 §4.3). A random UUID generated once for
 * this purpose; changing it changes every id, which would break downstream deduplication.
 * https://www.rfc-editor.org/rfc/rfc4122#section-4.3
 */
export const EVENT_ID_NAMESPACE = 'df039b03-42f1-4a4a-b2c6-4a173aafd4db';

// Every id hashes the namespace's 16 bytes followed by its name. They sit at the start of one
// buffer that each name is written after, so an id costs no allocation but its digest's.
const NAMESPACE_BYTES = Buffer.from(EVENT_ID_NAMESPACE.replaceAll('-', ''), 'hex');
let hashInput = Buffer.alloc(512);
NAMESPACE_BYTES.copy(hashInput);

export interface EventIdentity {
  /** CloudEvents `source`. */
  source: string;
  topic: WebhookTopic;
  entityId: number;
  /** Raw or canonical; canonicalised here, so spellings of one state give one id. */
  previousStatus: string | null;
  status: string;
  /** `ResolvedTime.utcTime`: the instant of `updated_at`, so any spelling of it gives one id. */
  utcTime: string;
}

/**
 * The CloudEvents `id`: the same webhook delivered twice gives the same id, any field differing
 * gives a different one (CONTRACT.md §2). The name is a JSON array, so no two field lists
 * serialise alike.
 */
export function eventId(identity: EventIdentity): string {
  const name = JSON.stringify([
    identity.source,
    identity.topic,
    String(identity.entityId),
    identity.previousStatus === null ? null : canonicalStatusName(identity.previousStatus),
    canonicalStatusName(identity.status),
    canonicalInstant(identity.utcTime),
  ]);
  return uuidV5(name);
}

/**
 * RFC 4122 §4.3 (https://www.rfc-editor.org/rfc/rfc4122#section-4.3): SHA-1 of namespace then
 * name, version 5 in the high nibble of octet 6, variant 10 in the top bits of octet 8, in the
 * 8-4-4-4-12 hex form of §3. The same as uuid's `v5` (the unit test holds them equal), with
 * Node's one-shot `crypto.hash` and its hex digest: ids are made for every webhook.
 */
function uuidV5(name: string): string {
  const most = NAMESPACE_BYTES.length + Buffer.byteLength(name, 'utf8');
  if (most > hashInput.length) {
    hashInput = Buffer.alloc(most * 2);
    NAMESPACE_BYTES.copy(hashInput);
  }
  const end = NAMESPACE_BYTES.length + hashInput.write(name, NAMESPACE_BYTES.length, 'utf8');
  const hex = hash('sha1', hashInput.subarray(0, end), 'hex');
  // Octet 8's high nibble keeps its low two bits under the variant's 10.
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** One spelling per instant: trailing zeros of the fraction dropped (`.500Z` → `.5Z`, `.000Z` → `Z`). */
function canonicalInstant(utcTime: string): string {
  const dot = utcTime.indexOf('.');
  if (dot < 0) return utcTime;
  const fraction = utcTime.slice(dot + 1, -1).replace(/0+$/, '');
  return `${utcTime.slice(0, dot)}${fraction === '' ? '' : `.${fraction}`}Z`;
}
