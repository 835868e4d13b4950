import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

/**
 * Generators for the property-based end-to-end suite (test/properties.e2e-spec.ts): valid Dropea
 * webhooks as docs/contract.md defines them, and hostile requests, each of which carries the
 * reasons (`faults`) why the relay must not publish it.
 *
 * A fault is only ever claimed where the contract, or the relay's strict reading of bodies
 * (content codings other than identity, invalid UTF-8, duplicate members, excessive nesting),
 * makes refusal certain; anything debatable (`1.0` as an id, lone surrogate escapes, odd
 * content-type parameters) is left out or varies only beside a certain fault, so that a failure
 * is always the relay's.
 */

export const ROUTES = {
  order: '/webhooks/dropea/orders',
  incidence: '/webhooks/dropea/incidences',
  both: '/webhooks/dropea',
} as const;
export const WEBHOOK_PATHS: readonly string[] = Object.values(ROUTES);

export type Kind = 'order' | 'incidence';
export const TOPIC_OF: Readonly<Record<Kind, string>> = { order: 'order:status_update', incidence: 'incidence:status_update' };
export const ID_FIELD_OF: Readonly<Record<Kind, 'order_id' | 'incidence_id'>> = { order: 'order_id', incidence: 'incidence_id' };

/**
 * The ids only the hostile properties' valid, signed requests carry: after the run the keys of
 * this range on the normalised topics must be exactly those requests' ids. Far from 1 and from
 * 2^53-1, where fast-check's integer generators concentrate, so no other request hits it.
 */
export const RESERVED_IDS = { min: 8_100_000_000_000_000, max: 8_100_000_000_999_999 } as const;
export const isReservedId = (id: unknown): boolean => typeof id === 'number' && id >= RESERVED_IDS.min && id <= RESERVED_IDS.max;

/** The fields every webhook may carry with a meaning; an extra field never takes their names. */
const WEBHOOK_FIELDS = new Set(['topic', 'order_id', 'incidence_id', 'prev_status', 'new_status', 'updated_at']);

/**
 * Names of Object.prototype's members and the like, which fast-check's string generators slip
 * in on purpose. As top-level extra fields they get a property of their own; elsewhere they are
 * kept out of valid bodies, so that one finding does not hide every other.
 */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
] as const;
const PROTOTYPE_NAME_SET = new Set<string>(PROTOTYPE_NAMES);

/** What JavaScript's `trim()` and `\s` (and so the relay's "not blank" rule) count as whitespace. */
export const WHITESPACE = [' ', '\t', '\n', '\r', '\u000b', '\u000c', '\u00a0', '\u1680', '\u2003', '\u2028', '\u2029', '\u202f', '\u3000', '\ufeff'];

/** Characters that have broken text handling somewhere: combining marks, joiners, bidi controls, astral, controls. */
const ODD_CHARS = [
  'ñ', 'Ñ', 'ß', 'İ', 'ı', 'Σ', 'ς', 'é', 'e\u0301', '\u0301', '\u200b', '\u200d', '\u200e', '\u202e', '\u2066',
  '\u0000', '\u0007', '\u001f', '\u007f', '\u0085', '\ufffd', '\uffff', '\ufeff', '\ufe0f', 'x\ufe0f', '\u180e',
  '🛒', '👩‍👩‍👧', '🇪🇸', '\u{10ffff}', '"', '\\', '/', '<', '>', '&', "'", '\u2028', '\u00a0', '{', '}', ':', ',',
];

const oddChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_CHARS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);

/** Text as people and systems write it: mostly ASCII, with every kind of odd Unicode. */
export const oddText = (maxLength = 40): fc.Arbitrary<string> => fc.array(oddChar, { maxLength }).map((chars) => chars.join(''));

export const codePoints = (text: string): number => [...text].length;

// ---- JSON written exactly as generated -------------------------------------------------------

/** A member value written verbatim: numbers JSON.stringify cannot produce, broken text, nesting. */
export class RawJson {
  constructor(readonly text: string) {}
}

export type Entry = readonly [key: string, value: unknown];

/** JSON's own whitespace, as a sender might lay a body out. */
const jsonGap = fc.constantFrom('', '', '', ' ', '\n', '\n  ', '\t', '\r\n');

/** A JSON object with these members in this order, duplicates kept, RawJson values verbatim. */
export function writeObject(entries: readonly Entry[], gap = ''): string {
  const members = entries.map(([key, value]) => `${gap}${JSON.stringify(key)}${gap}:${gap}${value instanceof RawJson ? value.text : JSON.stringify(value)}`);
  return `{${members.join(',')}${gap}}`;
}

// ---- valid webhooks ------------------------------------------------------------------------

/** `updated_at` as generated, with what it means, so the test can say what the envelope must hold. */
export interface UpdatedAt {
  readonly text: string;
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** Fractional digits as written (ISO form only). */
  readonly fraction?: string;
  /** Explicit offset in seconds east of UTC (ISO form only); absent: Europe/Madrid wall clock. */
  readonly offsetSeconds?: number;
}

export const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Day of the week (0 = Sunday) in the proleptic Gregorian calendar, any year. */
function weekday(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCDay();
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const clockTime = { hour: fc.integer({ min: 0, max: 23 }), minute: fc.integer({ min: 0, max: 59 }), second: fc.integer({ min: 0, max: 59 }) };

const wallClockIn = (minYear: number, maxYear: number): fc.Arbitrary<WallClock> =>
  fc
    .record({ year: fc.integer({ min: minYear, max: maxYear }), month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 31 }), ...clockTime })
    .map((t) => ({ ...t, day: Math.min(t.day, daysInMonth(t.year, t.month)) }));

/**
 * The hours around Madrid's clock changes, where times are skipped (spring) or repeated
 * (autumn): the last Sunday of March and October since 1996, and the last days of the months in
 * which Spain's earlier rules changed the clocks (March, April, September, October).
 */
const aroundClockChanges: fc.Arbitrary<WallClock> = fc.oneof(
  fc
    .record({ year: fc.integer({ min: 1996, max: 2045 }), month: fc.constantFrom(3, 10), hour: fc.integer({ min: 1, max: 3 }), minute: fc.integer({ min: 0, max: 59 }), second: fc.integer({ min: 0, max: 59 }) })
    .map((t) => {
      const last = daysInMonth(t.year, t.month);
      return { ...t, day: last - weekday(t.year, t.month, last) };
    }),
  fc
    .record({ year: fc.integer({ min: 1901, max: 2045 }), month: fc.constantFrom(3, 4, 9, 10), day: fc.integer({ min: 21, max: 30 }), hour: fc.integer({ min: 0, max: 4 }), minute: fc.integer({ min: 0, max: 59 }), second: fc.integer({ min: 0, max: 59 }) }),
);

/** `YYYY-MM-DD HH:mm:ss`, Europe/Madrid wall clock: any date and time of the calendar (years 0000-9999). */
const madridWallClock: fc.Arbitrary<UpdatedAt> = fc
  .oneof(
    { weight: 4, arbitrary: wallClockIn(2015, 2035) },
    { weight: 4, arbitrary: aroundClockChanges },
    { weight: 1, arbitrary: wallClockIn(1880, 1950) },
    { weight: 1, arbitrary: wallClockIn(0, 9999) },
  )
  .map((t) => ({ ...t, text: `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}` }));

/** ISO 8601 with `T`, optional fraction (1-9 digits) and `Z` or `±HH:MM`, as the contract also accepts. */
const isoWithOffset: fc.Arbitrary<UpdatedAt> = fc
  .record({
    clock: wallClockIn(1000, 8999),
    fraction: fc.option(fc.stringMatching(/^[0-9]{1,9}$/), { nil: undefined }),
    zone: fc.oneof(fc.constant('Z'), fc.record({ sign: fc.constantFrom(1, -1), hours: fc.integer({ min: 0, max: 23 }), minutes: fc.integer({ min: 0, max: 59 }) })),
  })
  .map(({ clock: t, fraction, zone }) => {
    const offsetSeconds = zone === 'Z' ? 0 : zone.sign * (zone.hours * 3600 + zone.minutes * 60);
    const suffix = zone === 'Z' ? 'Z' : `${zone.sign < 0 ? '-' : '+'}${pad(zone.hours)}:${pad(zone.minutes)}`;
    const text = `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}${fraction === undefined ? '' : `.${fraction}`}${suffix}`;
    return { ...t, text, offsetSeconds, ...(fraction === undefined ? {} : { fraction }) };
  });

export const updatedAt: fc.Arbitrary<UpdatedAt> = fc.oneof({ weight: 5, arbitrary: madridWallClock }, { weight: 1, arbitrary: isoWithOffset });

const KNOWN_STATUSES = ['pending', 'confirmed', 'cancelled', 'canceled', 'error', 'client_managed', 'solution_sent', 'solution_send', 'resolution_send', 'resolved', 'in_transit', 'delivered'];

/** A documented status as a person might type it: any case, other separators, padded with whitespace. */
const spelledStatus: fc.Arbitrary<string> = fc
  .tuple(
    fc.mixedCase(fc.constantFrom(...KNOWN_STATUSES)),
    fc.constantFrom('_', ' ', '-', ' - ', '--', '  ', '\t'),
    fc.array(fc.constantFrom(...WHITESPACE), { maxLength: 2 }),
    fc.array(fc.constantFrom(...WHITESPACE), { maxLength: 2 }),
  )
  .map(([status, separator, before, after]) => `${before.join('')}${status.split('_').join(separator)}${after.join('')}`);

/** Any status the contract accepts: a string with a non-blank character, at most 64 characters (code points). */
export const status: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: spelledStatus },
  { weight: 2, arbitrary: fc.array(oddChar, { minLength: 1, maxLength: 64 }).map((chars) => chars.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 60, maxLength: 64 }) },
).filter((text) => /\S/.test(text) && codePoints(text) <= 64);

/** A key for a member nobody gave a meaning to. */
const plainKey: fc.Arbitrary<string> = oddText(16).filter((key) => !WEBHOOK_FIELDS.has(key) && !PROTOTYPE_NAME_SET.has(key));

/** Any JSON value, at most `depth` levels of arrays and objects, finite numbers. */
const jsonMember = (depth: number, key: fc.Arbitrary<string> = plainKey): fc.Arbitrary<unknown> => {
  const leaf = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    oddText(30),
  );
  if (depth <= 0) return leaf;
  const inner = jsonMember(depth - 1, key);
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(inner, { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.uniqueArray(fc.tuple(key, inner), { maxLength: 4, selector: ([k]) => k }).map((entries) => Object.fromEntries(entries)) },
  );
};

/** Extra members Dropea might add: shop and customer data, line items, money, free text, anything. */
const extraMember: fc.Arbitrary<Entry> = fc.oneof(
  fc.tuple(fc.constant('shop_id'), fc.integer({ min: 1, max: 2 ** 31 })),
  fc.tuple(fc.constant('reference'), fc.stringMatching(/^[A-Z]{2,4}-[0-9]{3,9}$/)),
  fc.tuple(fc.constant('tracking_number'), fc.option(fc.stringMatching(/^[0-9A-Z]{8,22}$/))),
  fc.tuple(fc.constant('carrier'), fc.constantFrom('SEUR', 'GLS', 'Correos Express', 'MRW', 'Nacex')),
  fc.tuple(fc.constant('total'), fc.double({ min: 0, max: 1e6, noNaN: true })),
  fc.tuple(fc.constant('customer'), fc.record({ name: oddText(30), email: fc.emailAddress(), phone: fc.stringMatching(/^\+34 ?[6-9][0-9]{8}$/) })),
  fc.tuple(fc.constant('items'), fc.array(fc.record({ sku: fc.stringMatching(/^[A-Z0-9-]{1,12}$/), quantity: fc.integer({ min: 1, max: 99 }), price: fc.double({ min: 0, max: 1e4, noNaN: true }) }), { maxLength: 3 })),
  fc.tuple(fc.constant('comment'), oddText(60)),
  fc.tuple(fc.constant('created_at'), updatedAt.map((t) => t.text)),
  fc.tuple(plainKey, jsonMember(2)),
);
const extraMembers: fc.Arbitrary<Entry[]> = fc.uniqueArray(extraMember, { maxLength: 6, selector: ([key]) => key });

export interface ValidWebhook {
  readonly kind: Kind;
  readonly route: string;
  readonly entityId: number;
  /** Absent (`undefined`), `null`, or a status. */
  readonly prevStatus: string | null | undefined;
  readonly newStatus: string;
  readonly updatedAt: UpdatedAt;
  readonly extras: readonly Entry[];
  /** Sort keys of the members (topic, id, prev_status, new_status, updated_at, extras): written by ascending key, ties in that order. */
  readonly order: readonly number[];
  readonly gap: string;
  /** A leading UTF-8 byte order mark, which the contract accepts. */
  readonly bom: boolean;
}

export function entriesOf(webhook: ValidWebhook): Entry[] {
  const members: Entry[] = [
    ['topic', TOPIC_OF[webhook.kind]],
    [ID_FIELD_OF[webhook.kind], webhook.entityId],
    ...(webhook.prevStatus === undefined ? [] : [['prev_status', webhook.prevStatus] as const]),
    ['new_status', webhook.newStatus],
    ['updated_at', webhook.updatedAt.text],
    ...webhook.extras,
  ];
  const sortKey = (index: number): number => (webhook.order[index] ?? 0) * MAX_MEMBERS + index;
  return members.map((member, index) => ({ member, key: sortKey(index) })).sort((a, b) => a.key - b.key).map(({ member }) => member);
}

/** The exact bytes of a webhook, as signed and sent. */
export function bodyOf(webhook: ValidWebhook): Buffer {
  return Buffer.from(`${webhook.bom ? '\ufeff' : ''}${writeObject(entriesOf(webhook), webhook.gap)}`, 'utf8');
}

export const anyEntityId: fc.Arbitrary<number> = fc
  .oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 2 ** 31 - 1, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER) })
  .filter((id) => !isReservedId(id));
export const reservedEntityId: fc.Arbitrary<number> = fc.integer(RESERVED_IDS);

export interface ValidWebhookOptions {
  readonly ids?: fc.Arbitrary<number>;
  readonly extras?: fc.Arbitrary<Entry[]>;
}

/** At most this many members in a valid webhook: the five of the contract and the extras. */
const MAX_MEMBERS = 12;

/** A webhook every rule of the contract accepts, on a route that accepts its topic. */
export function validWebhook(options: ValidWebhookOptions = {}): fc.Arbitrary<ValidWebhook> {
  return fc
    .record({
      kind: fc.constantFrom<Kind>('order', 'incidence'),
      specificRoute: fc.boolean(),
      entityId: options.ids ?? anyEntityId,
      prevStatus: fc.oneof(fc.constant(undefined), fc.constant(null), status),
      newStatus: status,
      updatedAt,
      extras: options.extras ?? extraMembers,
      order: fc.array(fc.nat(15), { minLength: MAX_MEMBERS, maxLength: MAX_MEMBERS }),
      gap: jsonGap,
      // A byte order mark now and then.
      bom: fc.nat(7).map((n) => n === 0),
    })
    .map(({ specificRoute, ...webhook }) => ({ ...webhook, route: specificRoute ? ROUTES[webhook.kind] : ROUTES.both }));
}

/** Extra top-level members named after Object.prototype's members, which the contract allows (all but `__proto__`). */
export const prototypeNamedExtras: fc.Arbitrary<Entry[]> = fc.uniqueArray(
  fc.tuple(
    fc.constantFrom(...PROTOTYPE_NAMES.filter((name) => name !== '__proto__')),
    // A `constructor` holding `prototype` is refused by contract; any other value is data.
    jsonMember(1, fc.constantFrom('constructor', 'toString', 'valueOf', 'hasOwnProperty', 'length', 'polluted')),
  ),
  { minLength: 1, maxLength: 3, selector: ([key]) => key },
);

/**
 * JSON numbers beyond the largest double (about 1.8e308): valid JSON text (RFC 8259 §6 lets a
 * reader limit the range), which JSON.parse reads as ±Infinity and JSON.stringify writes as null.
 */
export const overflowingNumber: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('', '-'), fc.constantFrom('1e', '9.99e', '1E+', '123456789e'), fc.integer({ min: 309, max: 99_999 }))
  .map(([sign, mantissa, exponent]) => `${sign}${mantissa}${exponent}`);

/** A valid webhook with such a number in an extra member, at the top level or inside an array. */
export const webhookWithOverflowingNumber: fc.Arbitrary<{ webhook: ValidWebhook; text: string; nested: boolean }> = fc
  .tuple(validWebhook({ extras: fc.constant([]) }), overflowingNumber, fc.boolean())
  .map(([webhook, text, nested]) => ({ webhook: { ...webhook, extras: [['amount', new RawJson(nested ? `[${text}]` : text)]] }, text, nested }));

// ---- signatures ------------------------------------------------------------------------------

export interface Keys {
  readonly current: string;
  readonly previous: string;
}

export type DigestSpelling = 'hex' | 'HEX' | 'base64' | 'base64-unpadded' | 'base64url' | 'base64url-padded';

export function spell(digest: Buffer, spelling: DigestSpelling): string {
  switch (spelling) {
    case 'hex':
      return digest.toString('hex');
    case 'HEX':
      return digest.toString('hex').toUpperCase();
    case 'base64':
      return digest.toString('base64');
    case 'base64-unpadded':
      return digest.toString('base64').replace(/=+$/, '');
    case 'base64url':
      return digest.toString('base64url');
    case 'base64url-padded':
      return `${digest.toString('base64url')}=`;
  }
}

export const hmac = (body: Buffer, key: string, algorithm = 'sha256'): Buffer => createHmac(algorithm, key).update(body).digest();

const signatureName = fc.constantFrom('X-Dropea-Hmac-Sha256', 'x-dropea-hmac-sha256', 'X-DROPEA-HMAC-SHA256', 'x-Dropea-HMAC-sha256');
const spelling = fc.constantFrom<DigestSpelling>('hex', 'HEX', 'base64', 'base64-unpadded', 'base64url', 'base64url-padded');

/** A correct signature, however the contract lets it be written. */
export interface ValidSignature {
  readonly kind: 'valid';
  readonly key: 'current' | 'previous';
  readonly spelling: DigestSpelling;
  readonly prefix: string;
  readonly name: string;
  /** Optional whitespace around the value, which HTTP strips. */
  readonly padding: string;
}

export const validSignature: fc.Arbitrary<ValidSignature> = fc.record({
  kind: fc.constant('valid' as const),
  key: fc.constantFrom<'current' | 'previous'>('current', 'previous'),
  spelling,
  prefix: fc.constantFrom('', '', 'sha256=', 'SHA256=', 'Sha256='),
  name: signatureName,
  padding: fc.constantFrom('', '', ' ', '\t', '  '),
});

/** Ways a signature is wrong that the contract says are refused. */
export type BadSignature =
  | { readonly kind: 'missing' }
  | { readonly kind: 'empty'; readonly name: string }
  | { readonly kind: 'wrong key'; readonly key: string; readonly spelling: DigestSpelling }
  | { readonly kind: 'right key, other bytes'; readonly change: 'append space' | 'append newline' | 'drop last byte' | 'toggle BOM' | 'empty body' | 'reserialise'; readonly spelling: DigestSpelling }
  | { readonly kind: 'malformed'; readonly how: 'truncated' | 'extended' | 'non-canonical base64' | 'flipped base64 case' | 'sha1' | 'sha512' | 'double prefix' | 'sha512= prefix' | '0x prefix' | 'inner space' | 'two paddings' }
  | { readonly kind: 'several headers'; readonly second: 'same' | 'other spelling' | 'wrong'; readonly names: readonly [string, string] };

export const badSignature = (otherKeys: fc.Arbitrary<string>): fc.Arbitrary<BadSignature> =>
  fc.oneof(
    fc.constant({ kind: 'missing' as const }),
    fc.record({ kind: fc.constant('empty' as const), name: signatureName }),
    fc.record({ kind: fc.constant('wrong key' as const), key: otherKeys, spelling }),
    fc.record({
      kind: fc.constant('right key, other bytes' as const),
      change: fc.constantFrom('append space', 'append newline', 'drop last byte', 'toggle BOM', 'empty body', 'reserialise'),
      spelling,
    }),
    fc.record({
      kind: fc.constant('malformed' as const),
      how: fc.constantFrom('truncated', 'extended', 'non-canonical base64', 'flipped base64 case', 'sha1', 'sha512', 'double prefix', 'sha512= prefix', '0x prefix', 'inner space', 'two paddings'),
    }),
    fc.record({ kind: fc.constant('several headers' as const), second: fc.constantFrom('same', 'other spelling', 'wrong'), names: fc.tuple(signatureName, signatureName) }),
  );

export type SignatureSpec = ValidSignature | BadSignature;

export interface SignatureHeaders {
  readonly headers: [string, string][];
  readonly authenticated: boolean;
  readonly fault?: string;
}

function otherBytes(body: Buffer, change: Extract<BadSignature, { kind: 'right key, other bytes' }>['change']): Buffer {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  let changed: Buffer;
  switch (change) {
    case 'append space':
      changed = Buffer.concat([body, Buffer.from(' ')]);
      break;
    case 'append newline':
      changed = Buffer.concat([body, Buffer.from('\n')]);
      break;
    case 'drop last byte':
      changed = body.subarray(0, Math.max(0, body.length - 1));
      break;
    case 'toggle BOM':
      changed = body.subarray(0, 3).equals(bom) ? body.subarray(3) : Buffer.concat([bom, body]);
      break;
    case 'empty body':
      changed = Buffer.alloc(0);
      break;
    case 'reserialise':
      try {
        changed = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8').replace(/^\ufeff/, ''))) ?? '');
      } catch {
        changed = Buffer.from(body.toString('latin1').toUpperCase(), 'latin1');
      }
      break;
  }
  // The point is other bytes: when the change happens to change nothing, change one more byte.
  return changed.equals(body) ? Buffer.concat([body, Buffer.from('x')]) : changed;
}

/** The signature header lines for these exact bytes. */
export function signatureHeaders(spec: SignatureSpec, body: Buffer, keys: Keys): SignatureHeaders {
  const name = 'X-Dropea-Hmac-Sha256';
  const right = hmac(body, keys.current);
  switch (spec.kind) {
    case 'valid': {
      const value = `${spec.padding}${spec.prefix}${spell(hmac(body, keys[spec.key]), spec.spelling)}${spec.padding}`;
      return { headers: [[spec.name, value]], authenticated: true };
    }
    case 'missing':
      return { headers: [], authenticated: false, fault: 'no signature' };
    case 'empty':
      return { headers: [[spec.name, '']], authenticated: false, fault: 'empty signature' };
    case 'wrong key':
      return { headers: [[name, spell(hmac(body, spec.key), spec.spelling)]], authenticated: false, fault: 'signed with a key that is not configured' };
    case 'right key, other bytes':
      return { headers: [[name, spell(hmac(otherBytes(body, spec.change), keys.current), spec.spelling)]], authenticated: false, fault: `signed other bytes (${spec.change})` };
    case 'malformed':
      return { headers: [[name, malformed(right, spec.how, body, keys)]], authenticated: false, fault: `malformed signature (${spec.how})` };
    case 'several headers': {
      const first = right.toString('hex');
      const second = spec.second === 'same' ? first : spec.second === 'other spelling' ? right.toString('base64') : hmac(body, `${keys.current}!`).toString('hex');
      return { headers: [[spec.names[0], first], [spec.names[1], second]], authenticated: false, fault: `several signature headers (${spec.second})` };
    }
  }
}

function malformed(digest: Buffer, how: Extract<BadSignature, { kind: 'malformed' }>['how'], body: Buffer, keys: Keys): string {
  const hex = digest.toString('hex');
  const base64 = digest.toString('base64').replace(/=$/, '');
  switch (how) {
    case 'truncated':
      return hex.slice(0, 63);
    case 'extended':
      return `${hex}0`;
    case 'non-canonical base64': {
      // The 43rd character carries 4 bits of the digest and 2 spare bits, always 0 in the canonical form.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      const last = alphabet.indexOf(base64[42]!);
      return `${base64.slice(0, 42)}${alphabet[last | 1]}`;
    }
    case 'flipped base64 case': {
      const at = base64.search(/[A-Za-z]/);
      if (at < 0) return hex.slice(0, 63);
      const ch = base64[at]!;
      return `${base64.slice(0, at)}${ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase()}${base64.slice(at + 1)}`;
    }
    case 'sha1':
      return hmac(body, keys.current, 'sha1').toString('hex');
    case 'sha512':
      return hmac(body, keys.current, 'sha512').toString('base64');
    case 'double prefix':
      return `sha256=sha256=${hex}`;
    case 'sha512= prefix':
      return `sha512=${hex}`;
    case '0x prefix':
      return `0x${hex}`;
    case 'inner space':
      return `${hex.slice(0, 32)} ${hex.slice(32)}`;
    case 'two paddings':
      return `${base64}==`;
  }
}

// ---- content types and codings ---------------------------------------------------------------

const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,16}$/);
const quoted = fc.stringMatching(/^[ !#-[\]-~]{0,16}$/).map((text) => `"${text}"`);
const parameter = fc
  .tuple(fc.constantFrom('', ' ', '  '), fc.oneof(fc.constant('charset'), token), fc.oneof(fc.constantFrom('utf-8', 'UTF-8', 'utf8', '"utf-8"'), token, quoted))
  .map(([space, name, value]) => `;${space}${name}=${value}`);

/** `application/json` with any (well-formed) parameters, in any case: what the contract accepts. */
export const jsonContentType: fc.Arbitrary<string> = fc
  .tuple(fc.mixedCase(fc.constant('application/json')), fc.array(parameter, { maxLength: 3 }), fc.constantFrom('', ' '))
  .map(([type, parameters, space]) => `${type}${space}${parameters.join('')}`);

/** The media type a Content-Type names, as any reading of it would find it. */
export const mediaTypeOf = (value: string): string => value.split(';')[0]!.trim().toLowerCase();

const headerChar = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0x09), fc.integer({ min: 0x80, max: 0xff })).map((code) => String.fromCharCode(code));
export const headerValue = (maxLength = 60): fc.Arbitrary<string> => fc.array(headerChar, { maxLength }).map((chars) => chars.join(''));

/** A Content-Type that does not name application/json, or none at all (`undefined`). */
export const otherContentType: fc.Arbitrary<string | undefined> = fc
  .oneof(
    fc.constant(undefined),
    fc.constantFrom(
      '',
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      'application/json-seq',
      'application/json5',
      'application/problem+json',
      'application/cloudevents+json',
      'application/ld+json',
      'text/json',
      'application/javascript',
      'application/octet-stream',
      'application',
      'json',
      '*/*',
      'application/*',
      'application/ json',
      'application /json',
      'application\\/json',
      'application/json,text/plain',
      ';application/json',
    ),
    fc.tuple(token, token, fc.array(parameter, { maxLength: 2 })).map(([type, subtype, parameters]) => `${type}/${subtype}${parameters.join('')}`),
    headerValue(40),
  )
  .filter((value) => value === undefined || mediaTypeOf(value) !== 'application/json');

export type Coding = 'gzip' | 'deflate' | 'br';

export interface ContentCoding {
  readonly header: string;
  /** Whether the body is really compressed as the header says (else it is sent as is, mislabelled). */
  readonly encoded: boolean;
}

/** A Content-Encoding other than identity, which the relay refuses (415) rather than guess at. */
export const nonIdentityCoding: fc.Arbitrary<ContentCoding> = fc.record({
  header: fc.oneof(
    fc.constantFrom('gzip', 'x-gzip', 'deflate', 'br', 'compress', 'zstd', 'GZIP', 'gzip, identity', 'identity, gzip', 'identity,br', 'aes128gcm', 'chunked'),
    token.filter((value) => value.toLowerCase() !== 'identity'),
  ),
  encoded: fc.boolean(),
});
/** No Content-Encoding, or identity, which changes nothing. */
export const identityCoding: fc.Arbitrary<string | undefined> = fc.constantFrom(undefined, undefined, undefined, 'identity', 'Identity', 'IDENTITY');

export function encode(body: Buffer, coding: ContentCoding): Buffer {
  if (!coding.encoded) return body;
  const name = coding.header.toLowerCase().split(',').map((part) => part.trim()).find((part) => part !== 'identity');
  if (name === 'gzip' || name === 'x-gzip') return gzipSync(body);
  if (name === 'deflate') return deflateSync(body);
  if (name === 'br') return brotliCompressSync(body);
  return body;
}

// ---- other headers and request lines --------------------------------------------------------

/** Headers the sender itself writes (framing, the connection) or that each property controls. */
const CONTROLLED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'upgrade',
  'http2-settings',
  'te',
  'trailer',
  'expect',
  'content-type',
  'content-encoding',
  'x-dropea-hmac-sha256',
]);

const traceparent = fc
  .tuple(fc.stringMatching(/^[0-9a-f]{32}$/), fc.stringMatching(/^[0-9a-f]{16}$/), fc.constantFrom('00', '01'))
  .map(([trace, span, flags]) => `00-${trace}-${span}-${flags}`);

/** Any header Node's HTTP client can send, besides the controlled ones; names may repeat. */
export const extraHeaders: fc.Arbitrary<[string, string][]> = fc.array(
  fc.oneof(
    fc.tuple(token, headerValue()),
    fc.tuple(
      fc.constantFrom('traceparent', 'tracestate', 'accept', 'accept-encoding', 'accept-charset', 'user-agent', 'x-forwarded-for', 'forwarded', 'x-request-id', 'authorization', 'cookie', 'origin', 'x-dropea-topic', 'x-hub-signature-256', 'x-http-method-override', 'content-language', 'content-md5', 'digest', 'range', 'if-none-match'),
      headerValue(),
    ),
    fc.tuple(fc.mixedCase(fc.constant('traceparent')), traceparent),
  ).filter(([name]) => !CONTROLLED_HEADERS.has(name.toLowerCase())),
  { maxLength: 6 },
);

/**
 * Headers as above, and now and then more than a server takes: one of up to 40 KB, or hundreds.
 * Past the server's limits the answer may be a 431 or a 400, but it must still be a problem.
 */
export const bulkyHeaders: fc.Arbitrary<[string, string][]> = fc.oneof(
  { weight: 8, arbitrary: extraHeaders },
  { weight: 1, arbitrary: fc.tuple(token, fc.integer({ min: 1000, max: 40_000 }), headerValue(20)).map(([name, size, seed]) => [[`x-${name}`, seed.padEnd(size, 'a')] as [string, string]]) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 50, max: 400 }), headerValue(10)).map(([count, value]) => Array.from({ length: count }, (_, index) => [`x-many-${index % 7}`, value] as [string, string])),
  },
);

/** A path and query Node's client accepts; `fault` when it names no webhook route. */
export const requestPath: fc.Arbitrary<{ path: string; fault?: string }> = fc
  .oneof(
    { weight: 6, arbitrary: fc.constantFrom(...WEBHOOK_PATHS) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...WEBHOOK_PATHS), fc.webQueryParameters()).map(([path, query]) => `${path}?${query}`) },
    { weight: 1, arbitrary: fc.constantFrom('/webhooks/dropea/orders/', '/webhooks/dropea/order', '/webhooks/Dropea', '/webhooks/dropea/incidences/x', '/webhooks', '/', '//webhooks/dropea', '/webhooks/dropea/%6frders', '/health/ready') },
    { weight: 1, arbitrary: fc.webPath().map((path) => (path.startsWith('/') ? path : `/${path}`)) },
    // A request line longer than any server takes.
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...WEBHOOK_PATHS), fc.integer({ min: 1000, max: 40_000 })).map(([path, length]) => `${path}?q=${'a'.repeat(length)}`) },
  )
  .map((path) => {
    const route = path.split('?')[0]!;
    let decoded: string;
    try {
      decoded = decodeURIComponent(route);
    } catch {
      decoded = route;
    }
    return WEBHOOK_PATHS.includes(route) || WEBHOOK_PATHS.includes(decoded) ? { path } : { path, fault: `no webhook route at ${route}` };
  });

export const method: fc.Arbitrary<{ method: string; fault?: string }> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ method: 'POST' }) },
  { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS').map((name) => ({ method: name, fault: `method ${name}` })) },
);

// ---- bodies that break a rule ------------------------------------------------------------------

export interface Body {
  readonly bytes: Buffer;
  /** Why the relay must not publish this body, whatever comes with it; absent for a valid webhook. */
  readonly fault?: string;
  /** The webhook it is, or was made from. */
  readonly webhook?: ValidWebhook;
}

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const withMember = (webhook: ValidWebhook, key: string, value: unknown): Entry[] => entriesOf(webhook).map(([k, v]) => (k === key ? [k, value] : [k, v]));
const without = (webhook: ValidWebhook, key: string): Entry[] => entriesOf(webhook).filter(([k]) => k !== key);
const written = (webhook: ValidWebhook, entries: readonly Entry[]): Buffer => utf8(`${webhook.bom ? '\ufeff' : ''}${writeObject(entries, webhook.gap)}`);

const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant([]), fc.constant({}), fc.array(oddText(5), { minLength: 1, maxLength: 2 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
const blank = fc.array(fc.constantFrom(...WHITESPACE), { maxLength: 4 }).map((chars) => chars.join(''));

/**
 * Longer than 64 characters (code points), the contract's limit: plain ones, and ones whose
 * length is made of characters followed by a variation selector (U+FE0F), which some counters
 * do not count.
 */
export const overlongStatus: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', minLength: 65, maxLength: 80 }),
  fc.array(fc.constantFrom('a', 'ñ', '😀', 'x\ufe0f', '\u2764\ufe0f', 'e\u0301'), { minLength: 33, maxLength: 64 }).map((parts) => parts.join('')),
).filter((text) => codePoints(text) > 64 && /\S/.test(text));

/** Text that is not a date and time the contract accepts. */
export const badUpdatedAt: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    'soon',
    '2025-02-29 10:00:00',
    '2024-02-30 10:00:00',
    '2025-04-31 10:00:00',
    '2025-00-10 10:00:00',
    '2025-13-10 10:00:00',
    '2025-05-00 10:00:00',
    '2025-05-29 24:00:00',
    '2025-05-29 23:60:00',
    '2025-05-29 23:59:60',
    '2025-05-29',
    '14:14:58',
    '2025-05-29 14:14',
    '2025/05/29 14:14:58',
    '29-05-2025 14:14:58',
    '25-05-29 14:14:58',
    '2025-05-29  14:14:58',
    ' 2025-05-29 14:14:58',
    '2025-05-29 14:14:58 ',
    '2025-05-29 14:14:58\n',
    '2025-05-29T14:14:58+24:00',
    '2025-05-29T14:14:58+02:60',
    '2025-05-29T14:14:58.1234567890Z',
    '2025-05-29T14:14:58.Z',
    '0000-01-01T00:00:00+00:01',
    '9999-12-31T23:59:59-00:01',
    '+002025-05-29T14:14:58Z',
    '２０２５-05-29 14:14:58',
  ),
  oddText(25).filter((text) => !/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}/.test(text)),
);

/** Numbers no entity id can be: written verbatim, since JSON.stringify cannot write most. */
const badIdText = fc.constantFrom('0', '-0', '-1', '1.5', '0.5', '-9007199254740991', '9007199254740992', '9007199254740993', '1e16', '1e400', '-1e400', '123456789012345678901234567890', '"1"', 'null', 'true', '[1]', '{"id":1}', '""');

/** Bytes that are not UTF-8: lone continuation, overlong, surrogate, out of range, truncated. */
const invalidUtf8 = fc.constantFrom([0x80], [0xff], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xfe, 0xfe, 0xff, 0xff]);

/** `__proto__` spelt as JSON may spell it, and what it would try to set. */
const protoKey = fc.constantFrom('"__proto__"', '"\\u005f\\u005fproto\\u005f\\u005f"', '"__pr\\u006fto__"', '"\\u005F_proto__"');
const pollution = fc.constantFrom('{"polluted":true}', '{"toString":1,"polluted":"yes"}', '{"isAdmin":true}', 'null', '[]');

const fault = (label: string, bytes: Buffer, webhook: ValidWebhook): Body => ({ bytes, fault: label, webhook });

/** A valid webhook broken by `apply`, with parameters of its own, so both shrink independently. */
const mutation = <P>(parameters: fc.Arbitrary<P>, apply: (webhook: ValidWebhook, parameter: P) => Body): fc.Arbitrary<Body> =>
  fc.tuple(validWebhook(), parameters).map(([webhook, parameter]) => apply(webhook, parameter));

const otherKind = (kind: Kind): Kind => (kind === 'order' ? 'incidence' : 'order');
const fieldName = (webhook: ValidWebhook, field: 'topic' | 'id' | 'new_status' | 'updated_at'): string => (field === 'id' ? ID_FIELD_OF[webhook.kind] : field);
const requiredField = fc.constantFrom<'topic' | 'id' | 'new_status' | 'updated_at'>('topic', 'id', 'new_status', 'updated_at');

/** One field rule of the contract broken in an otherwise valid webhook. */
export const brokenFieldWebhook: fc.Arbitrary<Body> = fc.oneof(
  mutation(requiredField, (w, field) => fault(`no ${fieldName(w, field)}`, written(w, without(w, fieldName(w, field))), w)),
  mutation(fc.constant(null), (w) => fault('the topic of the other entity', written(w, withMember(w, 'topic', TOPIC_OF[otherKind(w.kind)])), w)),
  mutation(fc.oneof(oddText(30), fc.constantFrom('trailing space', 'upper case', 'order:status_updated', 'product:stock_update')), (w, variant) => {
    const spelt = variant === 'trailing space' ? `${TOPIC_OF[w.kind]} ` : variant === 'upper case' ? TOPIC_OF[w.kind].toUpperCase() : variant;
    const topic = spelt === TOPIC_OF.order || spelt === TOPIC_OF.incidence ? `${spelt}!` : spelt;
    return fault('an unknown topic', written(w, withMember(w, 'topic', topic)), w);
  }),
  mutation(notAString, (w, value) => fault('a topic that is not a string', written(w, withMember(w, 'topic', value)), w)),
  mutation(badIdText, (w, text) => fault(`${ID_FIELD_OF[w.kind]} ${text}`, written(w, withMember(w, ID_FIELD_OF[w.kind], new RawJson(text))), w)),
  mutation(fc.tuple(fc.constantFrom('', ...WHITESPACE), blank), (w, [first, rest]) => fault('a blank new_status', written(w, withMember(w, 'new_status', first + rest)), w)),
  mutation(overlongStatus, (w, text) => fault(`a new_status of ${codePoints(text)} characters`, written(w, withMember(w, 'new_status', text)), w)),
  mutation(fc.oneof(notAString, fc.constant(null)), (w, value) => fault('a new_status that is not a string', written(w, withMember(w, 'new_status', value)), w)),
  mutation(fc.oneof(blank, overlongStatus, notAString), (w, value) =>
    fault(`a prev_status that is ${typeof value === 'string' ? (codePoints(value) > 64 ? `${codePoints(value)} characters long` : 'blank') : 'not a string'}`, written(w, [...without(w, 'prev_status'), ['prev_status', value]]), w),
  ),
  mutation(badUpdatedAt, (w, text) => fault('an updated_at that is no date and time', written(w, withMember(w, 'updated_at', text)), w)),
  mutation(fc.oneof(notAString, fc.constant(null)), (w, value) => fault('an updated_at that is not a string', written(w, withMember(w, 'updated_at', value)), w)),
);

const NOT_JSON: readonly (readonly [string, (text: string) => string])[] = [
  ['two byte order marks', (text) => `\ufeff\ufeff${text.replace(/^\ufeff/, '')}`],
  ['a UTF-16 byte order mark', (text) => `\ufffe${text.replace(/^\ufeff/, '')}`],
  ['trailing garbage', (text) => `${text} x`],
  ['a second object', (text) => `${text}${text}`],
  ['a trailing comma', (text) => text.replace(/\}$/, ',}')],
  ['a comment', (text) => `/* hi */${text}`],
  ['single quotes', (text) => text.replace(/"topic"/, "'topic'")],
  ['an unquoted key', (text) => text.replace(/"topic"/, 'topic')],
  ['NaN', (text) => text.replace(/\}$/, ',"n":NaN}')],
  ['a leading zero', (text) => text.replace(/\}$/, ',"n":01}')],
  ['a hex number', (text) => text.replace(/\}$/, ',"n":0x10}')],
  ['a plus sign', (text) => text.replace(/\}$/, ',"n":+1}')],
  ['a raw control character in a string', (text) => text.replace(/\}$/, ',"n":"a\u0001b"}')],
  ['a bad escape', (text) => text.replace(/\}$/, ',"n":"\\x41"}')],
  ['a truncated body', (text) => text.slice(0, Math.max(1, text.length - 2))],
];

/** A valid webhook written as text that is not one JSON object of unique, harmless members. */
export const brokenTextWebhook: fc.Arbitrary<Body> = fc.oneof(
  // Duplicate members: JSON.parse would keep the last, so the relay would check other values
  // than a reader who keeps the first.
  mutation(fc.tuple(requiredField, fc.boolean()), (w, [field, before]) => {
    const entries = entriesOf(w);
    const copy = entries.find(([k]) => k === fieldName(w, field))!;
    return fault(`a duplicate ${fieldName(w, field)} member`, written(w, before ? [copy, ...entries] : [...entries, copy]), w);
  }),
  mutation(fc.tuple(protoKey, pollution, fc.boolean()), (w, [key, value, nested]) => {
    const member = `${key}:${value}`;
    const text = writeObject(entriesOf(w), w.gap).replace(/^\{/, nested ? `{"meta":{${member}},` : `{${member},`);
    return fault(`a ${nested ? 'nested ' : ''}__proto__ member`, utf8(text), w);
  }),
  mutation(fc.tuple(pollution, fc.boolean()), (w, [value, nested]) => {
    const member = `"constructor":{"prototype":${value}}`;
    const text = writeObject(entriesOf(w), w.gap).replace(/^\{/, nested ? `{"meta":{${member}},` : `{${member},`);
    return fault(`a ${nested ? 'nested ' : ''}constructor.prototype member`, utf8(text), w);
  }),
  mutation(fc.tuple(invalidUtf8, fc.constantFrom('new_status', 'note')), (w, [bytes, where]) => {
    const marker = '\u0001MARK\u0001';
    const entries = where === 'new_status' ? withMember(w, 'new_status', `x${marker}`) : [...entriesOf(w), ['note', marker] as const];
    const [before, after] = writeObject(entries, w.gap).split(JSON.stringify(marker).slice(1, -1));
    return fault(`invalid UTF-8 in ${where}`, Buffer.concat([utf8(`${w.bom ? '\ufeff' : ''}${before}`), Buffer.from(bytes), utf8(after!)]), w);
  }),
  // Nesting far deeper than any sensible limit (the relay refuses it with 400).
  mutation(fc.tuple(fc.integer({ min: 1000, max: 30000 }), fc.constantFrom('[', '{"a":')), (w, [depth, open]) => {
    const close = open === '[' ? ']' : '}';
    return fault(`an extra member nested ${depth} deep`, written(w, [...entriesOf(w), ['deep', new RawJson(`${open.repeat(depth)}1${close.repeat(depth)}`)]]), w);
  }),
  mutation(fc.constantFrom(...NOT_JSON), (w, [label, change]) => fault(`not JSON: ${label}`, utf8(change(`${w.bom ? '\ufeff' : ''}${writeObject(entriesOf(w), w.gap)}`)), w)),
);

/** Bodies no webhook can be: arbitrary bytes, JSON that is no object, objects with no webhook's fields. */
export const alienBody: fc.Arbitrary<Body> = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((bytes) => ({ bytes: Buffer.from(bytes), fault: 'arbitrary bytes' })),
  fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }).map((value) => ({ bytes: utf8(JSON.stringify(value) ?? 'null'), fault: 'arbitrary JSON' })),
  fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary' })).filter((value) => typeof value !== 'object' || value === null || Array.isArray(value))
    .map((value) => ({ bytes: utf8(JSON.stringify(value) ?? 'null'), fault: 'JSON that is not an object' })),
  fc.constantFrom('', ' ', '\ufeff', 'null', '0', '1e400', '-1e400', '123456789012345678901234567890', '-0', '"\\ud800"', '{}', '[]', '{"topic":null}', '\u0000').map((text) => ({ bytes: utf8(text), fault: `the body ${JSON.stringify(text)}` })),
  fc.tuple(fc.integer({ min: 1000, max: 32000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => ({
    bytes: utf8(`${open.repeat(depth)}${open === '[' ? ']' : '1}'}${(open === '[' ? ']' : '}').repeat(depth - 1)}`),
    fault: `JSON nested ${depth} deep`,
  })),
  fc.tuple(fc.array(fc.tuple(oddText(8), fc.jsonValue({ maxDepth: 2 })), { maxLength: 5 }), protoKey, pollution).map(([entries, key, value]) => ({
    bytes: utf8(writeObject(entries).replace(/^\{/, `{${key}:${value}${entries.length > 0 ? ',' : ''}`)),
    fault: 'a __proto__ member',
  })),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 300 })).map(([bytes]) => ({ bytes: Buffer.concat([utf8('{"topic":"order:status_update","order_id":1,"new_status":"'), Buffer.from(bytes), utf8('"}')]), fault: 'arbitrary bytes in an order without updated_at' })),
);

/** A valid webhook padded past the body limit. */
export const oversizedBody = (maxBodyBytes: number): fc.Arbitrary<Body> =>
  fc.tuple(validWebhook(), fc.integer({ min: 1, max: 2048 })).map(([webhook, over]) => {
    const base = bodyOf(webhook);
    const padding = maxBodyBytes + over - base.length - '"padding":"",'.length;
    const entries = entriesOf(webhook);
    const bytes = written(webhook, [...entries.slice(0, 1), ['padding', 'x'.repeat(Math.max(0, padding))], ...entries.slice(1)]);
    return { bytes, fault: `a body of ${bytes.length} bytes, over MAX_BODY_BYTES`, webhook };
  });

/** Bodies that are no JSON object the relay may read: broken text, alien bodies, oversize. */
export const badTextBody = (maxBodyBytes: number): fc.Arbitrary<Body> =>
  fc.oneof({ weight: 4, arbitrary: brokenTextWebhook }, { weight: 4, arbitrary: alienBody }, { weight: 1, arbitrary: oversizedBody(maxBodyBytes) });

/** Every body that breaks a rule, whatever else comes with it. */
export const faultyBody = (maxBodyBytes: number): fc.Arbitrary<Body> =>
  fc.oneof({ weight: 1, arbitrary: brokenFieldWebhook }, { weight: 1, arbitrary: badTextBody(maxBodyBytes) });

// ---- whole requests ---------------------------------------------------------------------------

/** One HTTP request exactly as it goes on the wire (Host, Connection and framing aside). */
export interface HostileRequest {
  readonly method: string;
  readonly path: string;
  /** Header lines in order; a name may repeat. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** `Transfer-Encoding: chunked` instead of `Content-Length`. */
  readonly chunked: boolean;
  /** Exactly one X-Dropea-Hmac-Sha256, a correct HMAC of `body` under a configured key. */
  readonly authenticated: boolean;
  /** Why it must not be published; empty: a valid, signed webhook, which must be. */
  readonly faults: readonly string[];
  /** The entity id of a valid webhook (of the reserved range for a faultless request). */
  readonly entityId?: number;
}

export interface RequestParts {
  readonly method: { method: string; fault?: string };
  readonly path: { path: string; fault?: string };
  readonly body: Body;
  readonly signature: SignatureSpec;
  readonly contentType: string | undefined;
  readonly coding: ContentCoding | string | undefined;
  readonly extraHeaders: readonly [string, string][];
  readonly chunked: boolean;
}

/** Puts the parts together: the body encoded as labelled, then signed, and every fault named. */
export function assemble(parts: RequestParts, keys: Keys): HostileRequest {
  const faults: string[] = [];
  if (parts.method.fault) faults.push(parts.method.fault);
  if (parts.path.fault) faults.push(parts.path.fault);
  if (parts.body.fault) faults.push(parts.body.fault);
  if (parts.contentType === undefined || mediaTypeOf(parts.contentType) !== 'application/json') faults.push(`Content-Type ${JSON.stringify(parts.contentType ?? null)}`);

  let body = parts.body.bytes;
  const headers: [string, string][] = [];
  if (parts.contentType !== undefined) headers.push(['Content-Type', parts.contentType]);
  if (typeof parts.coding === 'object') {
    faults.push(`Content-Encoding ${JSON.stringify(parts.coding.header)}${parts.coding.encoded ? ' (encoded)' : ' (not encoded)'}`);
    body = encode(body, parts.coding);
    headers.push(['Content-Encoding', parts.coding.header]);
  } else if (parts.coding !== undefined) {
    headers.push(['Content-Encoding', parts.coding]);
  }
  const signature = signatureHeaders(parts.signature, body, keys);
  if (signature.fault) faults.push(signature.fault);
  headers.push(...signature.headers, ...parts.extraHeaders);

  const entityId = parts.body.fault === undefined ? parts.body.webhook?.entityId : undefined;
  return {
    method: parts.method.method,
    path: parts.path.path,
    headers,
    body,
    chunked: parts.chunked,
    authenticated: signature.authenticated,
    faults,
    ...(entityId === undefined ? {} : { entityId }),
  };
}

const validBody = (ids: fc.Arbitrary<number>): fc.Arbitrary<Body> => validWebhook({ ids }).map((webhook) => ({ bytes: bodyOf(webhook), webhook }));

/** A query string, which changes nothing about the route. */
const query = fc.constantFrom('', '', '', '?', '?source=dropea&x=%20');

interface PostDimensions {
  readonly body: fc.Arbitrary<Body>;
  readonly signature: fc.Arbitrary<SignatureSpec>;
  readonly contentType: fc.Arbitrary<string | undefined>;
  readonly coding: fc.Arbitrary<ContentCoding | string | undefined>;
  readonly extraHeaders?: fc.Arbitrary<[string, string][]>;
}

/** A POST to the route of its body (its webhook's own, or /webhooks/dropea), every dimension independent. */
const postOf = (keys: Keys, dimensions: PostDimensions): fc.Arbitrary<HostileRequest> =>
  fc
    .record({ extraHeaders: bulkyHeaders, ...dimensions, query, chunked: fc.boolean() })
    .map(({ body, query: suffix, ...parts }) =>
      assemble({ ...parts, body, method: { method: 'POST' }, path: { path: `${body.webhook?.route ?? ROUTES.both}${suffix}` } }, keys),
    );

/**
 * A valid webhook of the reserved ids, correctly signed, however the contract lets it be sent:
 * any signature spelling and key, JSON content type with parameters, identity coding, chunked
 * or not, with arbitrary other headers. Must be published.
 */
export const acceptableRequest = (keys: Keys): fc.Arbitrary<HostileRequest> =>
  postOf(keys, { body: validBody(reservedEntityId), signature: validSignature, contentType: jsonContentType, coding: identityCoding, extraHeaders });

/** Correctly signed and labelled, but the body breaks a rule. */
export const badBodyRequest = (keys: Keys, bodies: fc.Arbitrary<Body>): fc.Arbitrary<HostileRequest> =>
  postOf(keys, { body: bodies, signature: validSignature, contentType: jsonContentType, coding: identityCoding });

const anyBody = (maxBodyBytes: number): fc.Arbitrary<Body> =>
  fc.oneof({ weight: 3, arbitrary: validBody(anyEntityId) }, { weight: 2, arbitrary: faultyBody(maxBodyBytes) });

const otherKey = (keys: Keys): fc.Arbitrary<string> =>
  fc.oneof(fc.constantFrom('', `${keys.current} `, keys.current.toUpperCase(), 'not-a-key'), fc.string({ maxLength: 20 })).filter((key) => key !== keys.current && key !== keys.previous);

/** Anything at all without a valid signature: mostly valid webhooks, which only the signature stops. */
export const unsignedRequest = (keys: Keys, maxBodyBytes: number): fc.Arbitrary<HostileRequest> =>
  postOf(keys, { body: anyBody(maxBodyBytes), signature: badSignature(otherKey(keys)), contentType: jsonContentType, coding: identityCoding });

/** Correctly signed webhooks (valid or not) under a content type other than application/json, or none. */
export const wrongContentTypeRequest = (keys: Keys, maxBodyBytes: number): fc.Arbitrary<HostileRequest> =>
  postOf(keys, { body: anyBody(maxBodyBytes), signature: validSignature, contentType: otherContentType, coding: identityCoding });

/** Correctly signed valid webhooks with a content coding other than identity, encoded or not. */
export const encodedRequest = (keys: Keys): fc.Arbitrary<HostileRequest> =>
  postOf(keys, { body: validBody(anyEntityId), signature: validSignature, contentType: jsonContentType, coding: nonIdentityCoding });

/** Every dimension at once, each one valid or not; at least one fault, so never publishable. */
export const mixedRequest = (keys: Keys, maxBodyBytes: number): fc.Arbitrary<HostileRequest> =>
  fc
    .record({
      method,
      path: requestPath,
      body: anyBody(maxBodyBytes),
      // Each dimension is more often right than wrong, so that most requests have one or two
      // faults and reach far into the relay rather than being stopped at the first check.
      signature: fc.oneof({ weight: 3, arbitrary: validSignature }, { weight: 1, arbitrary: badSignature(otherKey(keys)) }),
      contentType: fc.oneof({ weight: 4, arbitrary: jsonContentType }, { weight: 1, arbitrary: otherContentType }, { weight: 1, arbitrary: headerValue(30) }),
      coding: fc.oneof(
        { weight: 4, arbitrary: identityCoding },
        { weight: 1, arbitrary: nonIdentityCoding },
        {
          weight: 1,
          arbitrary: headerValue(12)
            .filter((value) => value.trim() !== '' && value.trim().toLowerCase() !== 'identity')
            .map((header) => ({ header, encoded: false })),
        },
      ),
      extraHeaders: bulkyHeaders,
      chunked: fc.boolean(),
    })
    .map((parts) => assemble(parts, keys))
    .filter((request) => request.faults.length > 0);
