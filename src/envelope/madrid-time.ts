/**
 * Dropea's `updated_at`: Europe/Madrid wall-clock time `YYYY-MM-DD HH:mm:ss`, or ISO 8601
 * (RFC 3339 profile) where an explicit offset or `Z` wins (CONTRACT.md §1, §2).
 *
 * Wall-clock times are resolved with the tz database shipped in Node's ICU (via Intl), using
 * Temporal's `compatible` disambiguation (the same as java.time):
 * https://tc39.es/proposal-temporal/docs/timezone.html#ambiguity-due-to-dst-or-other-time-zone-offset-changes
 * - a time that happens twice (autumn, clocks back) takes the earlier instant;
 * - a time that does not exist (spring, clocks forward) is read with the offset in force before
 *   the jump, so 2026-03-29 02:30 is 2026-03-29T01:30:00Z (= 03:30 CEST).
 *
 * Fractional seconds (1–9 digits) are kept exactly as given in `utcTime` and `localTime`
 * (`.5` stays `.5`); `instant` is a Date and so is truncated to milliseconds.
 */

export const MADRID_TIME_ZONE = 'Europe/Madrid';

export interface ResolvedTime {
  /** The instant, truncated to milliseconds. */
  instant: Date;
  /** RFC 3339 in UTC with `Z`, e.g. `2025-05-29T12:14:58Z`; given fractional digits kept. */
  utcTime: string;
  /** The wall-clock time as given, `T`-separated, no offset, e.g. `2025-05-29T14:14:58`. */
  localTime: string;
  /** Offset of `localTime` from UTC, `±HH:MM` (`±HH:MM:SS` only for pre-1901 local mean time). */
  utcOffset: string;
}

export type TimeParseResult = { ok: true; value: ResolvedTime } | { ok: false; reason: string };

const FORMAT_HINT =
  'expected "YYYY-MM-DD HH:mm:ss" (Europe/Madrid time) or ISO 8601 "YYYY-MM-DDTHH:mm:ss[.fraction][Z|±HH:MM]"';

// Separator `T`, `t` or space and lower-case `z` as RFC 3339 §5.6 allows; `,` as decimal mark
// as ISO 8601 allows. Offsets `±HH:MM`, `±HHMM`, `±HH`. Anchored and without nested
// repetition, so matching is linear in the input.
const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;
// RFC 3339 has four-digit years only, so the UTC instant must stay within them.
const MIN_UTC_SECONDS = daysFromCivil(0, 1, 1) * DAY;
const MAX_UTC_SECONDS = daysFromCivil(10000, 1, 1) * DAY - 1;

/**
 * The last text parsed and its result: validation (webhooks/dto/validation-rules.ts) and
 * `normalize` parse the same `updated_at` one after the other for every webhook.
 * Results are never modified by their readers.
 */
let last: { readonly text: string; readonly result: TimeParseResult } | undefined;

export function parseUpdatedAt(text: string): TimeParseResult {
  if (last?.text === text) return last.result;
  const result = parse(text);
  last = { text, result };
  return result;
}

function parse(text: string): TimeParseResult {
  const m = PATTERN.exec(text);
  if (m === null) return fail(FORMAT_HINT);
  const [, ys, mos, ds, hs, mis, ss, fraction, zulu, sign, ohs, oms] = m;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = Number(ss);

  if (month < 1 || month > 12) return fail(`month ${mos} does not exist`);
  if (day < 1 || day > daysInMonth(year, month)) return fail(`${ys}-${mos} has no day ${ds}`);
  if (hour > 23) return fail(`hour ${hs} is out of range 00-23`);
  if (minute > 59) return fail(`minute ${mis} is out of range 00-59`);
  if (second > 59) return fail(`second ${ss} is out of range 00-59`);

  const wallSeconds = daysFromCivil(year, month, day) * DAY + hour * HOUR + minute * MINUTE + second;
  let offsetSeconds: number;
  if (zulu !== undefined) {
    offsetSeconds = 0;
  } else if (sign !== undefined) {
    const offsetHours = Number(ohs);
    const offsetMinutes = oms === undefined ? 0 : Number(oms);
    if (offsetHours > 23 || offsetMinutes > 59) {
      return fail(`offset ${text.slice(text.lastIndexOf(sign))} is out of range`);
    }
    offsetSeconds = (sign === '-' ? -1 : 1) * (offsetHours * HOUR + offsetMinutes * MINUTE);
  } else {
    offsetSeconds = madridOffsetSeconds(wallSeconds);
  }

  const utcSeconds = wallSeconds - offsetSeconds;
  if (utcSeconds < MIN_UTC_SECONDS || utcSeconds > MAX_UTC_SECONDS) {
    return fail('the instant falls outside years 0000-9999 in UTC');
  }
  const fractionSuffix = fraction === undefined ? '' : `.${fraction}`;
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  const instant = new Date(utcSeconds * 1000 + millis);
  return {
    ok: true,
    value: {
      instant,
      utcTime: `${new Date(utcSeconds * 1000).toISOString().slice(0, 19)}${fractionSuffix}Z`,
      localTime: `${ys}-${mos}-${ds}T${hs}:${mis}:${ss}${fractionSuffix}`,
      utcOffset: formatOffset(offsetSeconds),
    },
  };
}

function fail(reason: string): TimeParseResult {
  return { ok: false, reason };
}

// ---- Europe/Madrid offsets -------------------------------------------------------------------

// Built once at import; throws at start if this Node lacks time zone data for Madrid.
const OFFSET_FORMAT = new Intl.DateTimeFormat('en-US', {
  timeZone: MADRID_TIME_ZONE,
  timeZoneName: 'longOffset',
});
const LONG_OFFSET = /^GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * Resolved offsets per wall-clock hour (key: hours since 1970-01-01T00:00 wall time). Webhooks
 * carry recent times, so a few thousand hours cover months of traffic; eviction is oldest-first.
 * An hour that contains a transition is stored as NaN and resolved on every call.
 */
const HOUR_CACHE_LIMIT = 4096;
const hourCache = new Map<number, number>();

/** Offset of Europe/Madrid from UTC, in seconds, for a wall-clock time given as seconds since
 *  1970-01-01T00:00:00 wall time. */
function madridOffsetSeconds(wallSeconds: number): number {
  const key = Math.floor(wallSeconds / HOUR);
  let cached = hourCache.get(key);
  if (cached === undefined) {
    cached = uniformOffsetOfHour(key * HOUR);
    if (hourCache.size >= HOUR_CACHE_LIMIT) {
      const oldest = hourCache.keys().next();
      if (oldest.done !== true) hourCache.delete(oldest.value);
    }
    hourCache.set(key, cached);
  }
  return Number.isNaN(cached) ? resolveWallTime(wallSeconds).offset : cached;
}

/** The single offset of every second of this wall-clock hour, or NaN if a transition falls in it.
 *  (Two transitions within one hour that cancel out do not occur in the tz database.) */
function uniformOffsetOfHour(hourStart: number): number {
  const first = resolveWallTime(hourStart);
  const last = resolveWallTime(hourStart + HOUR - 1);
  return first.unique && last.unique && first.offset === last.offset ? first.offset : NaN;
}

/**
 * Temporal's GetPossibleEpochNanoseconds + DisambiguatePossibleEpochNanoseconds('compatible'):
 * candidates are the offsets in force a day before and a day after; an offset is a candidate
 * if the instant it gives really has that offset. Two candidates (repeated time): the earlier
 * instant, i.e. the larger offset. None (skipped time): the offset from before the jump.
 */
function resolveWallTime(wallSeconds: number): { offset: number; unique: boolean } {
  const before = offsetAtInstant(wallSeconds - DAY);
  const after = offsetAtInstant(wallSeconds + DAY);
  const beforeFits = offsetAtInstant(wallSeconds - before) === before;
  if (before === after) {
    return { offset: before, unique: beforeFits };
  }
  const afterFits = offsetAtInstant(wallSeconds - after) === after;
  if (beforeFits && afterFits) return { offset: Math.max(before, after), unique: false };
  if (beforeFits) return { offset: before, unique: true };
  if (afterFits) return { offset: after, unique: true };
  return { offset: before, unique: false };
}

function offsetAtInstant(epochSeconds: number): number {
  const parts = OFFSET_FORMAT.formatToParts(new Date(epochSeconds * 1000));
  const name = parts.find((part) => part.type === 'timeZoneName')?.value ?? '';
  const m = LONG_OFFSET.exec(name);
  if (m === null) throw new Error(`unexpected time zone offset ${JSON.stringify(name)} from Intl`);
  const [, sign, hh, mm, ss] = m;
  if (sign === undefined) return 0;
  return (sign === '-' ? -1 : 1) * (Number(hh) * HOUR + Number(mm) * MINUTE + Number(ss ?? 0));
}

// ---- calendar arithmetic ---------------------------------------------------------------------

/** Days since 1970-01-01 in the proleptic Gregorian calendar (valid for any year, unlike
 *  Date.UTC, which maps years 0–99 to 1900–1999).
 *  https://howardhinnant.github.io/date_algorithms.html#days_from_civil */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function formatOffset(offsetSeconds: number): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const abs = Math.abs(offsetSeconds);
  const hh = pad2(Math.floor(abs / HOUR));
  const mm = pad2(Math.floor((abs % HOUR) / MINUTE));
  const ss = abs % MINUTE;
  return ss === 0 ? `${sign}${hh}:${mm}` : `${sign}${hh}:${mm}:${pad2(ss)}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
