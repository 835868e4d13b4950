import { hash } from 'node:crypto';
import { parse as parseUuid, stringify as formatUuid } from 'uuid';
import { ENTITY_KIND_BY_TOPIC, type WebhookTopic } from './envelope.js';
import { canonicalStatus } from './status.js';

/**
 * Namespace of the relay's event ids (UUID v5, RFC 4122 §4.3). A random UUID generated once for
 * this purpose; changing it changes every id, which would break downstream deduplication.
 * https://www.rfc-editor.org/rfc/rfc4122#section-4.3
 */
export const EVENT_ID_NAMESPACE = 'df039b03-42f1-4a4a-b2c6-4a173aafd4db';

// Parsed once: every id hashes these 16 bytes followed by its name.
const NAMESPACE_BYTES = Buffer.from(parseUuid(EVENT_ID_NAMESPACE));

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
  const kind = ENTITY_KIND_BY_TOPIC[identity.topic];
  const name = JSON.stringify([
    identity.source,
    identity.topic,
    String(identity.entityId),
    identity.previousStatus === null ? null : canonicalStatus(kind, identity.previousStatus).status,
    canonicalStatus(kind, identity.status).status,
    canonicalInstant(identity.utcTime),
  ]);
  return uuidV5(name);
}

/**
 * RFC 4122 §4.3 (https://www.rfc-editor.org/rfc/rfc4122#section-4.3): SHA-1 of namespace then
 * name, version 5 in the high nibble of octet 6, variant 10 in the top bits of octet 8. The
 * same as uuid's `v5` (the unit test holds them equal), with Node's one-shot `crypto.hash`
 * instead of a Hash object per id: ids are made for every webhook.
 */
function uuidV5(name: string): string {
  const digest = hash('sha1', Buffer.concat([NAMESPACE_BYTES, Buffer.from(name, 'utf8')]), 'buffer');
  digest[6] = (digest[6]! & 0x0f) | 0x50;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  return formatUuid(digest);
}

/** One spelling per instant: trailing zeros of the fraction dropped (`.500Z` → `.5Z`, `.000Z` → `Z`). */
function canonicalInstant(utcTime: string): string {
  const dot = utcTime.indexOf('.');
  if (dot < 0) return utcTime;
  const fraction = utcTime.slice(dot + 1, -1).replace(/0+$/, '');
  return `${utcTime.slice(0, dot)}${fraction === '' ? '' : `.${fraction}`}Z`;
}
