import { describe, expect, it } from '@jest/globals';
import { IsInt, IsString, ValidateNested, validateSync } from 'class-validator';
import fc from 'fast-check';
import { IncidenceStatusUpdateDto } from '../webhooks/dto/incidence-status-update.dto.js';
import { OrderStatusUpdateDto } from '../webhooks/dto/order-status-update.dto.js';
import { compileRules } from './compiled-validator.js';

const OPTIONS = { stopAtFirstError: true, validationError: { target: false, value: false } };

/** What class-validator itself says: no error at all. */
function validBy(dto: new () => object, body: Record<string, unknown>): boolean {
  return validateSync(Object.assign(new dto(), body), OPTIONS).length === 0;
}

// Values near every rule's edge: ids around 1 and 2^53, statuses empty, blank or 64/65 long,
// times valid, impossible, skipped by the clocks, or not strings.
const value = fc.oneof(
  fc.constantFrom(0, 1, -1, 1.5, 2 ** 53 - 1, 2 ** 53, Number.NaN, Infinity, 265494),
  fc.integer(),
  fc.double(),
  fc.constantFrom('', ' ', '\t', 'x', 'a'.repeat(64), 'a'.repeat(65), '😀'.repeat(64), '😀'.repeat(65), 'confirmed'),
  fc.constantFrom('2025-05-29 14:14:58', '2026-03-29 02:30:00', '2025-02-30 10:00:00', '2025-05-29T12:14:58Z', '2025-05-29 24:00:00', '29/05/2025'),
  fc.string(),
  fc.constantFrom(undefined, null, true, false, [], {}, ['x']),
);
/** Mostly a valid value, so that bodies breaking one rule, several or none all come up. */
const field = (valid: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: value, weight: 1 });
const body = (idField: string, topic: string) =>
  fc.record(
    {
      topic: field(fc.constant(topic)),
      [idField]: field(fc.integer({ min: 1 })),
      prev_status: field(fc.constantFrom(null, 'confirmed')),
      new_status: field(fc.constantFrom('cancelled', 'Enviado')),
      updated_at: field(fc.constantFrom('2025-05-29 14:14:58', '2025-10-26 02:30:00')),
      extra: value,
    },
    { requiredKeys: ['topic', idField, 'new_status', 'updated_at'] },
  );

describe('compileRules', () => {
  it.each([
    ['order', OrderStatusUpdateDto, 'order_id', 'order:status_update'],
    ['incidence', IncidenceStatusUpdateDto, 'incidence_id', 'incidence:status_update'],
  ] as const)('agrees with validateSync on every %s body', (_name, dto, idField, topic) => {
    const check = compileRules(dto);
    let valid = 0;
    fc.assert(
      fc.property(body(idField, topic), (candidate) => {
        const expected = validBy(dto, candidate);
        if (expected) valid++;
        expect(check(candidate)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
    // The generator reaches both answers, so agreement is not agreement on "invalid" alone.
    expect(valid).toBeGreaterThan(0);
  });

  it('accepts the documented payload and refuses one broken rule', () => {
    const check = compileRules(OrderStatusUpdateDto);
    const order = { topic: 'order:status_update', order_id: 265494, prev_status: 'confirmed', new_status: 'cancelled', updated_at: '2025-05-29 14:14:58' };
    expect(check(order)).toBe(true);
    expect(check({ ...order, prev_status: null })).toBe(true);
    expect(check({ ...order, order_id: 0 })).toBe(false);
    expect(check({ ...order, new_status: ' ' })).toBe(false);
    expect(check({ ...order, updated_at: '2025-02-30 10:00:00' })).toBe(false);
  });

  it('refuses at start a DTO whose rules it cannot run exactly as class-validator does', () => {
    class Nested {
      @IsInt() n!: number;
    }
    class WithNested {
      @ValidateNested() child!: Nested;
    }
    class WithGroups {
      @IsString({ groups: ['admin'] }) name!: string;
    }
    class Empty {}
    expect(() => compileRules(WithNested)).toThrow(/beyond what compileRules supports/);
    expect(() => compileRules(WithGroups)).toThrow(/beyond what compileRules supports/);
    expect(() => compileRules(Empty)).toThrow(/no class-validator rules/);
  });
});
