import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseStrictJson, type StrictJsonResult } from './strict-json.js';

const parse = (text: string | Uint8Array, maxDepth = 32): StrictJsonResult =>
  parseStrictJson(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, maxDepth);

const nested = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

describe('parseStrictJson', () => {
  it('parses JSON as JSON.parse does', () => {
    const text = '{"topic":"order:status_update","order_id":265494,"list":[1,{"x":null}],"s":"a\\"b"}';
    expect(parse(text)).toEqual({ ok: true, value: JSON.parse(text) });
  });

  it('drops a leading byte order mark', () => {
    expect(parse(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]))).toEqual({ ok: true, value: { a: 1 } });
  });

  it.each([
    ['a lone continuation byte', [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x80, 0x22, 0x7d]],
    ['an overlong encoding of "/"', [0x22, 0xc0, 0xaf, 0x22]],
    ['a UTF-16 surrogate encoded in UTF-8', [0x22, 0xed, 0xa0, 0x80, 0x22]],
    ['a truncated sequence', [0x22, 0xe2, 0x82, 0x22]],
  ])('refuses invalid UTF-8: %s', (_name, bytes) => {
    expect(parse(Uint8Array.from(bytes))).toEqual({ ok: false, rejection: { reason: 'invalid-utf8' } });
  });

  it.each(['', '{', '{"a":1,}', "{'a':1}", '{"a":1} x', 'NaN', '{"a":"\\x"}'])('refuses %j as invalid JSON', (text) => {
    expect(parse(text)).toEqual({ ok: false, rejection: { reason: 'invalid-json' } });
  });

  it('refuses a repeated member name, also when spelt with escapes', () => {
    expect(parse('{"order_id":1,"order_id":2}')).toEqual({ ok: false, rejection: { reason: 'duplicate-member', name: 'order_id' } });
    expect(parse('{"topic":"a","\\u0074opic":"b"}')).toEqual({ ok: false, rejection: { reason: 'duplicate-member', name: 'topic' } });
    expect(parse('{"a":{"b":1,"b":1}}')).toEqual({ ok: false, rejection: { reason: 'duplicate-member', name: 'b' } });
  });

  it('keeps names apart per object and ignores strings that are values', () => {
    expect(parse('{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":"a","d":["a","a"]}').ok).toBe(true);
    expect(parse('{"a":"}","b":"{\\"a\\":1,","c":1}').ok).toBe(true);
  });

  it.each(['{"__proto__":{"polluted":true}}', '{"a":[{"__proto__":1}]}', '{"\\u005f_proto__":{}}', '{"constructor":{"prototype":{"polluted":true}}}'])(
    'refuses a member that reaches a prototype: %s',
    (text) => {
      const result = parse(text);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.rejection.reason).toBe('forbidden-member');
    },
  );

  it('allows constructor and prototype where they reach nothing', () => {
    expect(parse('{"constructor":1,"prototype":{"constructor":2}}')).toEqual({ ok: true, value: { constructor: 1, prototype: { constructor: 2 } } });
  });

  it('refuses nesting deeper than the limit without recursing, at any depth', () => {
    expect(parse(nested(32)).ok).toBe(true);
    expect(parse(nested(33))).toEqual({ ok: false, rejection: { reason: 'too-deep', maxDepth: 32 } });
    expect(parse('['.repeat(33) + ']'.repeat(33))).toEqual({ ok: false, rejection: { reason: 'too-deep', maxDepth: 32 } });
    expect(parse(nested(1_000_000))).toEqual({ ok: false, rejection: { reason: 'too-deep', maxDepth: 32 } });
  });

  it('reports depth before anything else, and invalid JSON before a repeated name', () => {
    expect(parse('{"a":1,"a":2,"b":' + nested(40) + '}')).toEqual({ ok: false, rejection: { reason: 'too-deep', maxDepth: 32 } });
    expect(parse('{"a":1,"a":')).toEqual({ ok: false, rejection: { reason: 'invalid-json' } });
  });

  it('reads numbers as JSON.parse does: 1.0 is 1, -0 is -0, 2^53 + 1 rounds to 2^53', () => {
    expect(parse('{"a":1.0,"b":-0,"c":1e308,"d":9007199254740993,"e":1e-400}')).toEqual({
      ok: true,
      value: { a: 1, b: -0, c: 1e308, d: 9007199254740992, e: 0 },
    });
  });

  it.each(['{"a":1e400}', '{"a":[1,{"b":-1e309}]}', '1e999'])('refuses %s: a number beyond a double, which JSON could not write back', (text) => {
    expect(parse(text)).toEqual({ ok: false, rejection: { reason: 'number-out-of-range' } });
  });

  const reachesPrototype = (text: string): boolean => text.includes('__proto__') || text.includes('prototype');

  it('parses any JSON it did not refuse exactly as JSON.parse does', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        fc.pre(!reachesPrototype(text));
        expect(parse(text)).toEqual({ ok: true, value: JSON.parse(text) });
      }),
      { numRuns: 2000 },
    );
  });

  it('finds a repeated name wherever it is, and names it', () => {
    const object = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1, maxKeys: 6 });
    fc.assert(
      fc.property(object, fc.nat(), fc.integer({ min: 0, max: 3 }), (members, pick, wraps) => {
        const names = Object.keys(members);
        const name = names[pick % names.length]!;
        // The same name again, first in the object; then the object goes inside `wraps` arrays.
        const repeated = `{${JSON.stringify(name)}:0,${JSON.stringify(members).slice(1)}`;
        fc.pre(!reachesPrototype(repeated));
        const text = '['.repeat(wraps) + repeated + ']'.repeat(wraps);
        expect(parse(text)).toEqual({ ok: false, rejection: { reason: 'duplicate-member', name } });
      }),
      { numRuns: 2000 },
    );
  });
});
