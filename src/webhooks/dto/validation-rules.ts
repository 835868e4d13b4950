import { applyDecorators } from '@nestjs/common';
import { IsDefined, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy } from '../../validation/class-validator.js';
import { parseUpdatedAt } from '../../envelope/madrid-time.js';

/**
 * The field rules of CONTRACT.md §1, shared by both DTOs. Messages name the rule, never echo
 * the value: the relay's answers must not become a reflection channel.
 */
export const MAX_STATUS_LENGTH = 64;

/** A JSON integer from 1 to 2^53−1: larger values lose precision in JSON.parse. */
export function IsEntityId(): PropertyDecorator {
  return applyDecorators(
    IsDefined({ message: '$property is required' }),
    IsInt({ message: '$property must be a JSON integer' }),
    Min(1, { message: '$property must be at least 1' }),
    Max(Number.MAX_SAFE_INTEGER, { message: '$property must be at most 2^53-1 (9007199254740991)' }),
  );
}

export function IsStatus({ optional = false } = {}): PropertyDecorator {
  const rules = [
    IsString({ message: optional ? '$property must be a string or null' : '$property must be a string' }),
    Matches(/\S/, { message: '$property must not be empty' }),
    // Counted in code points, as JSON Schema's maxLength counts them (docs/schemas): validator.js's
    // length, behind class-validator's MaxLength, leaves variation selectors out of the count.
    ValidateBy({
      name: 'maxCodePoints',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || codePoints(value) <= MAX_STATUS_LENGTH,
        defaultMessage: (args) => `${args?.property ?? 'status'} must be at most ${MAX_STATUS_LENGTH} characters`,
      },
    }),
  ];
  return applyDecorators(...(optional ? [IsOptional(), ...rules] : [IsDefined({ message: '$property is required' }), ...rules]));
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** `YYYY-MM-DD HH:mm:ss` Europe/Madrid wall-clock time, or ISO 8601; a real date and time. */
export function IsUpdatedAt(): PropertyDecorator {
  return applyDecorators(
    IsDefined({ message: '$property is required' }),
    IsString({ message: '$property must be a string' }),
    ValidateBy({
      name: 'isUpdatedAt',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || parseUpdatedAt(value).ok,
        defaultMessage: (args) => {
          const result = typeof args?.value === 'string' ? parseUpdatedAt(args.value) : undefined;
          const reason = result && !result.ok ? ` (${result.reason})` : '';
          return `${args?.property ?? 'updated_at'} must be a date and time as YYYY-MM-DD HH:mm:ss (Europe/Madrid) or ISO 8601${reason}`;
        },
      },
    }),
  );
}
