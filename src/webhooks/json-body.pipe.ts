import { Injectable, type PipeTransform } from '@nestjs/common';
import secureJson from 'secure-json-parse';
import { PROBLEM_TYPES } from '../problem/problem-details.js';
import { ProblemException } from '../problem/problem.exception.js';

/**
 * Parses the raw body (kept as bytes for the signature check, see configure-app.ts) into a
 * JSON object. Keys that could reach an object's prototype (`__proto__`,
 * `constructor.prototype`) are refused rather than risked in later copies.
 */
@Injectable()
export class JsonBodyPipe implements PipeTransform<unknown, Record<string, unknown>> {
  transform(body: unknown): Record<string, unknown> {
    if (!Buffer.isBuffer(body)) {
      throw ProblemException.of(PROBLEM_TYPES.unsupportedMediaType, 'Content-Type must be application/json');
    }
    let value: unknown;
    try {
      value = secureJson.parse(body.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch {
      // The parser's message quotes the body; it is not echoed back.
      throw ProblemException.of(PROBLEM_TYPES.invalidJson, 'The body is not valid JSON (RFC 8259), or holds a forbidden __proto__ or constructor.prototype key');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw ProblemException.of(PROBLEM_TYPES.notAnObject, `The body must be a JSON object, got ${describe(value)}`);
    }
    return value as Record<string, unknown>;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
