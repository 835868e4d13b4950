/**
 * Parses a webhook body as I-JSON (RFC 7493): UTF-8 only, unique member names. A body that two
 * JSON parsers could read differently is refused rather than guessed at: with a repeated name,
 * JSON.parse keeps the last value while other consumers of the same signed bytes (the dead-letter
 * topic keeps them) may keep the first.
 *
 * Also refused: nesting deeper than `maxDepth`, which no Dropea payload needs and which would
 * make every recursive walk of the value (validation, logging) a stack-depth risk; and the member
 * names that reach an object's prototype when a parsed value is later merged or copied
 * (`__proto__`, and `prototype` inside `constructor`), the same rule as secure-json-parse; and
 * numbers beyond a double's range.
 */
export type JsonRejection =
  | { readonly reason: 'invalid-utf8' }
  | { readonly reason: 'invalid-json' }
  | { readonly reason: 'too-deep'; readonly maxDepth: number }
  | { readonly reason: 'duplicate-member'; readonly name: string }
  | { readonly reason: 'forbidden-member'; readonly name: string }
  | { readonly reason: 'number-out-of-range' };

export type StrictJsonResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly rejection: JsonRejection };

// fatal: malformed UTF-8 is an error, not U+FFFD (RFC 8259 §8.1). A leading byte order mark is
// dropped (ignoreBOM false): RFC 8259 lets a parser ignore one, and some senders add it.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function parseStrictJson(bytes: Uint8Array, maxDepth: number): StrictJsonResult {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return reject({ reason: 'invalid-utf8' });
  }
  // The structure is checked before JSON.parse builds anything, so a deep body costs one scan.
  const found = scanStructure(text, maxDepth);
  if (found?.reason === 'too-deep') return reject(found);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return reject({ reason: 'invalid-json' });
  }
  if (found !== undefined) return reject(found);
  // 1e400 parses to Infinity, which JSON cannot write back: the envelope's copy of the body
  // would say null where the sender said a number (RFC 7493 §2.2 keeps numbers to doubles).
  return hasNonFiniteNumber(value) ? reject({ reason: 'number-out-of-range' }) : { ok: true, value };
}

/** Recursive, which is safe: the scan has bounded the depth. */
function hasNonFiniteNumber(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value !== 'object' || value === null) return false;
  return Object.values(value).some(hasNonFiniteNumber);
}

function reject(rejection: JsonRejection): StrictJsonResult {
  return { ok: false, rejection };
}

interface Frame {
  /** The member names seen so far; undefined for an array. */
  readonly names: Set<string> | undefined;
  /** Whether the next string is a member name (after `{` or a `,` in an object). */
  expectName: boolean;
  /** The last member name, whose value comes next. */
  lastName: string | undefined;
  /** This object is the value of a `constructor` member. */
  readonly inConstructor: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * One pass over the text with an explicit stack (no recursion, so any depth is safe to scan).
 * It trusts nothing: on malformed text it may stop early or find nothing, and JSON.parse then
 * has the last word.
 */
function scanStructure(text: string, maxDepth: number): JsonRejection | undefined {
  const stack: Frame[] = [];
  let found: JsonRejection | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === QUOTE) {
      let end = i + 1;
      while (end < text.length && text.charCodeAt(end) !== QUOTE) end += text.charCodeAt(end) === BACKSLASH ? 2 : 1;
      if (top?.names !== undefined && top.expectName && found === undefined) {
        const name = memberName(text.slice(i + 1, end));
        if (name === undefined) return undefined;
        found = checkName(name, top);
        top.names.add(name);
        top.expectName = false;
        top.lastName = name;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length === maxDepth) return { reason: 'too-deep', maxDepth };
      const isObject = c === 0x7b;
      stack.push({
        names: isObject ? new Set() : undefined,
        expectName: isObject,
        lastName: undefined,
        inConstructor: isObject && top?.names !== undefined && top.lastName === 'constructor',
      });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */ && top?.names !== undefined) {
      top.expectName = true;
    }
  }
  return found;
}

function checkName(name: string, frame: Frame): JsonRejection | undefined {
  if (name === '__proto__' || (frame.inConstructor && name === 'prototype')) return { reason: 'forbidden-member', name };
  if (frame.names?.has(name)) return { reason: 'duplicate-member', name };
  return undefined;
}

/** The member name a JSON string's raw text stands for (escapes decoded), or undefined if malformed. */
function memberName(raw: string): string | undefined {
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return undefined;
  }
}
