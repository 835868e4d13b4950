import { Injectable, type PipeTransform } from '@nestjs/common';
import { parseStrictJson, type JsonRejection } from '../json/strict-json.js';
import { PROBLEM_TYPES, SEND_JSON_DETAIL } from '../problem/problem-details.js';
import { ProblemException } from '../problem/problem.exception.js';

/** Dropea's payloads are flat; 32 levels leave room for any extra a sender adds. */
export const MAX_JSON_DEPTH = 32;

/**
 * Parses the raw body (kept as bytes for the signature check, see configure-app.ts) into a
 * JSON object, strictly (json/strict-json.ts). It runs after the signature guard, so only an
 * authenticated sender learns why a body was refused.
 */
@Injectable()
export class JsonBodyPipe implements PipeTransform<unknown, Record<string, unknown>> {
  transform(body: unknown): Record<string, unknown> {
    if (!Buffer.isBuffer(body)) {
      throw ProblemException.of(PROBLEM_TYPES.unsupportedMediaType, SEND_JSON_DETAIL);
    }
    const parsed = parseStrictJson(body, MAX_JSON_DEPTH);
    if (!parsed.ok) throw rejectionProblem(parsed.rejection);
    const { value } = parsed;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw ProblemException.of(PROBLEM_TYPES.notAnObject, `The body must be a JSON object, got ${describe(value)}`);
    }
    return value as Record<string, unknown>;
  }
}

function rejectionProblem(rejection: JsonRejection): ProblemException {
  switch (rejection.reason) {
    case 'invalid-utf8':
      return ProblemException.of(PROBLEM_TYPES.invalidUtf8, 'The body must be UTF-8 (RFC 8259 §8.1)');
    case 'invalid-json':
      // The parser's message quotes the body; it is not echoed back.
      return ProblemException.of(PROBLEM_TYPES.invalidJson, 'The body is not valid JSON (RFC 8259)');
    case 'too-deep':
      return ProblemException.of(PROBLEM_TYPES.nestingTooDeep, `The body nests objects and arrays more than ${rejection.maxDepth} levels deep`);
    case 'duplicate-member':
      return ProblemException.of(PROBLEM_TYPES.duplicateMember, `The member name ${quote(rejection.name)} appears twice in one object (RFC 7493 §2.3)`);
    case 'number-out-of-range':
      return ProblemException.of(PROBLEM_TYPES.numberOutOfRange, 'The body holds a number beyond the range of an IEEE 754 double (RFC 7493 §2.2)');
    case 'forbidden-member':
      return ProblemException.of(PROBLEM_TYPES.forbiddenMember, `The member name ${quote(rejection.name)} is refused: it could reach an object prototype`);
  }
}

/** A name from the body, quoted and cut short so an answer never carries much of what was sent. */
function quote(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
