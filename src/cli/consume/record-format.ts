import type { ConsumedRecord } from './consumed-record.js';

/**
 * The readable form: where the record sits and its key on one line, then the headers that add
 * something to the value, then the value, pretty-printed; a blank line ends it.
 *
 * The `ce_*` headers repeat envelope attributes (the relay sets them so consumers can route
 * without decoding the value), so they are left out while they agree with the envelope, and
 * shown when they do not.
 */
export function textBlock(record: ConsumedRecord): string {
  const { topic, partition, offset, timestamp, key, headers, content } = record;
  const lines = [`${topic}  partition ${partition}  offset ${offset}  key ${key ?? '(none)'}  ${timestamp}`];
  for (const [name, value] of Object.entries(headers)) {
    if (content.kind === 'event' && repeatsEnvelope(name, value, content.envelope)) continue;
    lines.push(`${name}: ${value}`);
  }
  switch (content.kind) {
    case 'event':
      lines.push(JSON.stringify(content.envelope, null, 2));
      break;
    case 'dead-letter':
      lines.push('dead letter, the request body as received:', content.body);
      break;
    case 'undecodable':
      lines.push(`not an envelope: ${content.error}`);
      if (content.value !== null) lines.push(content.encoding === 'base64' ? `value (base64): ${content.value}` : content.value);
      break;
  }
  return `${lines.join('\n')}\n\n`;
}

/** `--json`: one object per line, every header included, for scripts and `jq`. */
export function jsonLine(record: ConsumedRecord): string {
  const { content, ...at } = record;
  return `${JSON.stringify({ ...at, ...content })}\n`;
}

const CE_HEADER = /^ce_([a-z0-9]+)$/;

function repeatsEnvelope(name: string, value: string, envelope: object): boolean {
  const attribute = CE_HEADER.exec(name)?.[1];
  if (attribute === undefined || !Object.hasOwn(envelope, attribute)) return false;
  return String((envelope as Record<string, unknown>)[attribute]) === value;
}
