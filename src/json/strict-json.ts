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
  // The depth is checked before JSON.parse builds anything, so a deep body costs one scan.
  const members = countMembers(text, maxDepth);
  if (members < 0) return reject({ reason: 'too-deep', maxDepth });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return reject({ reason: 'invalid-json' });
  }
  const walk = { keys: 0, suspect: false, nonFinite: false };
  inspect(value, false, walk);
  // JSON.parse keeps one key per repeated name, so fewer keys than names in the text means a
  // repeat. Only then, or with a forbidden name, is the text scanned again to name it.
  if (walk.suspect || walk.keys !== members) {
    const found = scanStructure(text, maxDepth);
    if (found !== undefined) return reject(found);
  }
  // 1e400 parses to Infinity, which JSON cannot write back: the envelope's copy of the body
  // would say null where the sender said a number (RFC 7493 §2.2 keeps numbers to doubles).
  return walk.nonFinite ? reject({ reason: 'number-out-of-range' }) : { ok: true, value };
}

/**
 * Counts the parsed value's keys, and notes a non-finite number and a name that reaches a
 * prototype. Recursive, which is safe: countMembers has bounded the depth.
 */
function inspect(value: unknown, inConstructor: boolean, walk: { keys: number; suspect: boolean; nonFinite: boolean }): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) walk.nonFinite = true;
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) inspect(item, false, walk);
    return;
  }
  const names = Object.keys(value);
  walk.keys += names.length;
  for (const name of names) {
    if (reachesPrototype(name, inConstructor)) walk.suspect = true;
    inspect((value as Record<string, unknown>)[name], name === 'constructor', walk);
  }
}

/**
 * How many member names the text holds, or -1 when it nests deeper than `maxDepth`: one pass
 * over the characters that builds nothing. It trusts nothing: on malformed text its count is
 * meaningless, and JSON.parse refuses that text anyway.
 */
function countMembers(text: string, maxDepth: number): number {
  // objects[d] is 1 when nesting level d is an object (levels past maxDepth are refused).
  const objects = new Uint8Array(maxDepth + 1);
  let depth = 0;
  let expectName = false;
  let members = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = i + 1;
      while (end < text.length && text.charCodeAt(end) !== QUOTE) end += text.charCodeAt(end) === BACKSLASH ? 2 : 1;
      if (expectName) {
        members++;
        expectName = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (depth === maxDepth) return -1;
      objects[++depth] = c === 0x7b ? 1 : 0;
      expectName = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (depth > 0) depth--;
      expectName = false;
    } else if (c === 0x2c /* , */) {
      expectName = objects[depth] === 1;
    }
  }
  return members;
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
 * Finds which name is repeated or forbidden: one pass over the text with an explicit stack (no
 * recursion, so any depth is safe to scan). Run only when countMembers and the parsed value
 * disagree, or a forbidden name was parsed.
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

/** `__proto__` anywhere, `prototype` inside a `constructor` object: the names secure-json-parse refuses. */
function reachesPrototype(name: string, inConstructor: boolean): boolean {
  return name === '__proto__' || (inConstructor && name === 'prototype');
}

function checkName(name: string, frame: Frame): JsonRejection | undefined {
  if (reachesPrototype(name, frame.inConstructor)) return { reason: 'forbidden-member', name };
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
