import { describe, expect, it } from '@jest/globals';
import { parseUpdatedAt, type ResolvedTime } from './madrid-time.js';

function resolved(text: string): ResolvedTime {
  const result = parseUpdatedAt(text);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(text)} to parse, got: ${result.reason}`);
  return result.value;
}

function reasonFor(text: string): string {
  const result = parseUpdatedAt(text);
  if (result.ok) throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
  return result.reason;
}

describe('parseUpdatedAt: Dropea wall-clock times (Europe/Madrid)', () => {
  it('reads summer time (CEST) as +02:00', () => {
    expect(parseUpdatedAt('2025-05-29 14:14:58')).toEqual({
      ok: true,
      value: {
        instant: new Date('2025-05-29T12:14:58Z'),
        utcTime: '2025-05-29T12:14:58Z',
        localTime: '2025-05-29T14:14:58',
        utcOffset: '+02:00',
      },
    });
  });

  it('reads winter time (CET) as +01:00', () => {
    expect(resolved('2025-02-13 14:23:56')).toEqual({
      instant: new Date('2025-02-13T13:23:56Z'),
      utcTime: '2025-02-13T13:23:56Z',
      localTime: '2025-02-13T14:23:56',
      utcOffset: '+01:00',
    });
  });

  // [wall clock, UTC, offset used]
  const springForward: Array<[string, string, string]> = [
    // 2025-03-30: 02:00 CET jumps to 03:00 CEST
    ['2025-03-30 01:00:00', '2025-03-30T00:00:00Z', '+01:00'],
    ['2025-03-30 01:59:59', '2025-03-30T00:59:59Z', '+01:00'],
    ['2025-03-30 02:00:00', '2025-03-30T01:00:00Z', '+01:00'],
    ['2025-03-30 02:30:00', '2025-03-30T01:30:00Z', '+01:00'],
    ['2025-03-30 02:59:59', '2025-03-30T01:59:59Z', '+01:00'],
    ['2025-03-30 03:00:00', '2025-03-30T01:00:00Z', '+02:00'],
    ['2025-03-30 03:30:00', '2025-03-30T01:30:00Z', '+02:00'],
    // 2026-03-29
    ['2026-03-29 01:00:00', '2026-03-29T00:00:00Z', '+01:00'],
    ['2026-03-29 01:59:59', '2026-03-29T00:59:59Z', '+01:00'],
    ['2026-03-29 02:00:00', '2026-03-29T01:00:00Z', '+01:00'],
    ['2026-03-29 02:30:00', '2026-03-29T01:30:00Z', '+01:00'],
    ['2026-03-29 02:59:59', '2026-03-29T01:59:59Z', '+01:00'],
    ['2026-03-29 03:00:00', '2026-03-29T01:00:00Z', '+02:00'],
    ['2026-03-29 03:59:59', '2026-03-29T01:59:59Z', '+02:00'],
  ];

  it.each(springForward)(
    'spring forward: %s, which may not exist, is read with the offset before the jump → %s',
    (wall, utc, offset) => {
      const time = resolved(wall);
      expect(time.utcTime).toBe(utc);
      expect(time.instant).toEqual(new Date(utc));
      expect(time.utcOffset).toBe(offset);
      expect(time.localTime).toBe(wall.replace(' ', 'T'));
    },
  );

  const fallBack: Array<[string, string, string]> = [
    // 2025-10-26: 03:00 CEST goes back to 02:00 CET; 02:00–02:59 happens twice
    ['2025-10-26 01:00:00', '2025-10-25T23:00:00Z', '+02:00'],
    ['2025-10-26 01:59:59', '2025-10-25T23:59:59Z', '+02:00'],
    ['2025-10-26 02:00:00', '2025-10-26T00:00:00Z', '+02:00'],
    ['2025-10-26 02:30:00', '2025-10-26T00:30:00Z', '+02:00'],
    ['2025-10-26 02:59:59', '2025-10-26T00:59:59Z', '+02:00'],
    ['2025-10-26 03:00:00', '2025-10-26T02:00:00Z', '+01:00'],
    ['2025-10-26 04:00:00', '2025-10-26T03:00:00Z', '+01:00'],
    // 2026-10-25
    ['2026-10-25 01:00:00', '2026-10-24T23:00:00Z', '+02:00'],
    ['2026-10-25 01:59:59', '2026-10-24T23:59:59Z', '+02:00'],
    ['2026-10-25 02:00:00', '2026-10-25T00:00:00Z', '+02:00'],
    ['2026-10-25 02:30:00', '2026-10-25T00:30:00Z', '+02:00'],
    ['2026-10-25 02:59:59', '2026-10-25T00:59:59Z', '+02:00'],
    ['2026-10-25 03:00:00', '2026-10-25T02:00:00Z', '+01:00'],
  ];

  it.each(fallBack)('fall back: %s, repeated, takes the first occurrence → %s', (wall, utc, offset) => {
    const time = resolved(wall);
    expect(time.utcTime).toBe(utc);
    expect(time.instant).toEqual(new Date(utc));
    expect(time.utcOffset).toBe(offset);
    expect(time.localTime).toBe(wall.replace(' ', 'T'));
  });

  it('agrees with the tz database for every quarter hour of 2025 and 2026', () => {
    // Independent path: format each instant as Madrid wall time with Intl, read it back.
    const wall = new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Europe/Madrid',
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    const seen = new Set<string>();
    const mismatches: string[] = [];
    for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2027, 0, 1); t += 15 * 60_000) {
      const p = Object.fromEntries(wall.formatToParts(t).map((part) => [part.type, part.value]));
      const text = `${p['year']}-${p['month']}-${p['day']} ${p['hour']}:${p['minute']}:${p['second']}`;
      // The second occurrence of a repeated wall time resolves, by design, to the first one.
      const expected = seen.has(text) ? t - 3_600_000 : t;
      seen.add(text);
      const time = resolved(text);
      if (time.instant.getTime() !== expected) mismatches.push(`${text} → ${time.utcTime}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('uses local mean time before 1901, with seconds in the offset', () => {
    expect(resolved('1900-06-01 12:00:00')).toMatchObject({
      utcTime: '1900-06-01T12:14:44Z',
      utcOffset: '-00:14:44',
    });
  });
});

describe('parseUpdatedAt: fractional seconds', () => {
  it.each([
    ['2025-05-29 14:14:58.5', '2025-05-29T12:14:58.5Z', '2025-05-29T14:14:58.5', 500],
    ['2025-05-29T14:14:58.123', '2025-05-29T12:14:58.123Z', '2025-05-29T14:14:58.123', 123],
    ['2025-05-29T14:14:58.000', '2025-05-29T12:14:58.000Z', '2025-05-29T14:14:58.000', 0],
    ['2025-05-29T14:14:58.123456789', '2025-05-29T12:14:58.123456789Z', '2025-05-29T14:14:58.123456789', 123],
    ['2025-05-29T14:14:58,25', '2025-05-29T12:14:58.25Z', '2025-05-29T14:14:58.25', 250],
    ['2026-03-29 02:59:59.999', '2026-03-29T01:59:59.999Z', '2026-03-29T02:59:59.999', 999],
    ['2026-10-25 02:59:59.999999', '2026-10-25T00:59:59.999999Z', '2026-10-25T02:59:59.999999', 999],
  ])('%s keeps its digits as given; the Date is truncated to milliseconds', (text, utc, local, millis) => {
    const time = resolved(text);
    expect(time.utcTime).toBe(utc);
    expect(time.localTime).toBe(local);
    expect(time.instant.getUTCMilliseconds()).toBe(millis);
    expect(time.instant.toISOString().slice(0, 19)).toBe(utc.slice(0, 19));
  });
});

describe('parseUpdatedAt: an explicit offset wins over Madrid rules', () => {
  it.each([
    ['2025-05-29T12:14:58Z', '2025-05-29T12:14:58Z', '2025-05-29T12:14:58', '+00:00'],
    ['2025-05-29T12:14:58z', '2025-05-29T12:14:58Z', '2025-05-29T12:14:58', '+00:00'],
    ['2025-05-29t12:14:58Z', '2025-05-29T12:14:58Z', '2025-05-29T12:14:58', '+00:00'],
    ['2025-05-29T14:14:58+02:00', '2025-05-29T12:14:58Z', '2025-05-29T14:14:58', '+02:00'],
    ['2025-05-29 14:14:58+02:00', '2025-05-29T12:14:58Z', '2025-05-29T14:14:58', '+02:00'],
    ['2025-05-29T17:44:58+05:30', '2025-05-29T12:14:58Z', '2025-05-29T17:44:58', '+05:30'],
    ['2025-05-29T17:44:58+0530', '2025-05-29T12:14:58Z', '2025-05-29T17:44:58', '+05:30'],
    ['2025-05-29T09:14:58-03:00', '2025-05-29T12:14:58Z', '2025-05-29T09:14:58', '-03:00'],
    ['2025-05-29T09:14:58-03', '2025-05-29T12:14:58Z', '2025-05-29T09:14:58', '-03:00'],
    ['2025-05-29T12:14:58-00:00', '2025-05-29T12:14:58Z', '2025-05-29T12:14:58', '+00:00'],
    ['2025-05-29T17:44:58.25+05:30', '2025-05-29T12:14:58.25Z', '2025-05-29T17:44:58.25', '+05:30'],
    // Madrid would say these do not exist / happen twice; the offset settles it.
    ['2026-03-29T02:30:00+02:00', '2026-03-29T00:30:00Z', '2026-03-29T02:30:00', '+02:00'],
    ['2026-10-25T02:30:00+01:00', '2026-10-25T01:30:00Z', '2026-10-25T02:30:00', '+01:00'],
    // Winter date with a summer offset: taken as given.
    ['2025-01-15T10:00:00+02:00', '2025-01-15T08:00:00Z', '2025-01-15T10:00:00', '+02:00'],
    // Crosses a day and a year boundary in UTC.
    ['2026-01-01T00:30:00+05:30', '2025-12-31T19:00:00Z', '2026-01-01T00:30:00', '+05:30'],
  ])('%s → %s', (text, utc, local, offset) => {
    expect(resolved(text)).toEqual({ instant: new Date(utc), utcTime: utc, localTime: local, utcOffset: offset });
  });

  it('gives the same instant for a Madrid wall time and its explicit spellings', () => {
    const spellings = [
      '2025-05-29 14:14:58',
      '2025-05-29T14:14:58',
      '2025-05-29T14:14:58+02:00',
      '2025-05-29T12:14:58Z',
    ];
    expect(new Set(spellings.map((text) => resolved(text).utcTime))).toEqual(new Set(['2025-05-29T12:14:58Z']));
  });
});

describe('parseUpdatedAt: impossible dates and times are rejected', () => {
  it.each([
    ['2025-02-30 10:00:00', /2025-02 has no day 30/],
    ['2025-02-29 10:00:00', /2025-02 has no day 29/],
    ['1900-02-29 10:00:00', /1900-02 has no day 29/],
    ['2025-04-31 10:00:00', /2025-04 has no day 31/],
    ['2025-01-32 10:00:00', /no day 32/],
    ['2025-01-00 10:00:00', /no day 00/],
    ['2025-13-01 10:00:00', /month 13/],
    ['2025-00-10 10:00:00', /month 00/],
    ['2025-05-29 24:00:00', /hour 24/],
    ['2025-05-29 25:00:00', /hour 25/],
    ['2025-05-29 14:60:00', /minute 60/],
    ['2025-05-29 14:14:60', /second 60/],
    ['2025-05-29T14:14:58+24:00', /offset \+24:00/],
    ['2025-05-29T14:14:58-05:60', /offset -05:60/],
    ['9999-12-31T23:59:59-01:00', /outside years 0000-9999/],
    ['0000-01-01T00:00:00+01:00', /outside years 0000-9999/],
  ])('%s', (text, reason) => {
    expect(reasonFor(text)).toMatch(reason);
  });

  it.each(['2024-02-29 10:00:00', '2000-02-29 10:00:00', '2025-12-31 23:59:59', '2025-01-01 00:00:00'])(
    'accepts %s',
    (text) => {
      expect(parseUpdatedAt(text).ok).toBe(true);
    },
  );
});

describe('parseUpdatedAt: malformed strings are rejected', () => {
  it.each([
    '',
    'yesterday',
    '2025-5-29 14:14:58',
    '2025-05-29 4:14:58',
    '2025-05-29 14:14',
    '2025-05-29',
    '2025/05/29 14:14:58',
    '29-05-2025 14:14:58',
    '2025-05-29 14:14:58 garbage',
    '2025-05-29 14:14:58Zjunk',
    '2025-05-29 14:14:58+02:00junk',
    '2025-05-29 14:14:58\n',
    ' 2025-05-29 14:14:58',
    '2025-05-29 14:14:58 ',
    '2025-05-29  14:14:58',
    '2025-05-29_14:14:58',
    '2025-05-29 14:14:58.',
    '2025-05-29 14:14:58.1234567890',
    '2025-05-29T14:14:58+2:00',
    '2025-05-29T14:14:58+02:0',
    '2025-05-29T14:14:58 +02:00',
    '+02025-05-29T14:14:58Z',
    '２０２５-05-29 14:14:58',
    '1748520898',
  ])('%j', (text) => {
    expect(reasonFor(text)).toMatch(/expected "YYYY-MM-DD HH:mm:ss"/);
  });
});
