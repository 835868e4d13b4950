import { describe, expect, it } from '@jest/globals';
import * as entry from 'class-validator';
import * as parts from './class-validator.js';

class Order {
  @parts.IsDefined({ message: '$property is required' })
  @parts.IsInt()
  @parts.Min(1)
  order_id!: unknown;

  @parts.IsOptional()
  @parts.IsString()
  @parts.Matches(/\S/)
  status!: unknown;
}

describe('class-validator, part by part', () => {
  it.each(['Equals', 'IsDefined', 'IsOptional', 'ValidateBy', 'IsInt', 'IsString', 'Matches', 'Max', 'Min', 'getMetadataStorage', 'ValidationTypes'] as const)(
    '%s is the package entry’s own',
    (name) => {
      expect(parts[name]).toBe(entry[name]);
    },
  );

  it('registers rules in the storage the entry reads, and validateSync finds what the entry’s finds', () => {
    const body = Object.assign(new Order(), { order_id: 0, status: ' ' });
    const options = { stopAtFirstError: true, validationError: { target: false, value: false } };
    const errors = parts.validateSync(body, options);
    expect(errors.map((error) => [error.property, error.constraints])).toEqual([
      ['order_id', { min: 'order_id must not be less than 1' }],
      ['status', { matches: 'status must match /\\S/ regular expression' }],
    ]);
    expect(errors).toEqual(entry.validateSync(body, options));
    expect(parts.validateSync(Object.assign(new Order(), { order_id: 7 }))).toEqual([]);
  });
});
