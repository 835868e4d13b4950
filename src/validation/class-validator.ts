import { createRequire } from 'node:module';
// Types only: erased from the JavaScript, so the package's entry is never loaded through them.
import type * as ClassValidator from 'class-validator';

/**
 * The parts of class-validator the relay uses, each loaded from its own module of the package.
 *
 * class-validator's entry (`cjs/index.js`) loads every decorator it has, and with them
 * validator.js's hundred validators and libphonenumber-js: 321 modules and 3.8 MB of V8's heap
 * in a fresh Node.js 24 process, 26 modules and 0.3 MB for the parts below
 * (docs/benchmarks.md, What the relay holds at rest). A relay holds all of it for its whole
 * life, and V8 sizes the old generation from what it holds. The package has no `exports` map,
 * so its files are public paths; the decorators register into the same metadata storage as
 * the entry's (a global of the package), so rules and `validateSync` behave as through it.
 * validation/class-validator.spec.ts checks each export against the entry's.
 */
const require = createRequire(import.meta.url);

type Api = typeof ClassValidator;

function part<Name extends keyof Api>(file: string, name: Name): Api[Name] {
  return (require(`class-validator/cjs/${file}.js`) as Pick<Api, Name>)[name];
}

export const Equals = part('decorator/common/Equals', 'Equals');
export const IsDefined = part('decorator/common/IsDefined', 'IsDefined');
export const IsOptional = part('decorator/common/IsOptional', 'IsOptional');
export const ValidateBy = part('decorator/common/ValidateBy', 'ValidateBy');
export const IsInt = part('decorator/typechecker/IsInt', 'IsInt');
export const IsString = part('decorator/typechecker/IsString', 'IsString');
export const Matches = part('decorator/string/Matches', 'Matches');
export const Max = part('decorator/number/Max', 'Max');
export const Min = part('decorator/number/Min', 'Min');
export const getMetadataStorage = part('metadata/MetadataStorage', 'getMetadataStorage');
export const ValidationTypes = part('validation/ValidationTypes', 'ValidationTypes');

const validator = new (part('validation/Validator', 'Validator'))();

/** class-validator's `validateSync(object, options)`: the entry's runs the same Validator method. */
export function validateSync(object: object, options?: ClassValidator.ValidatorOptions): ClassValidator.ValidationError[] {
  return validator.validateSync(object, options);
}

export type { ValidationArguments, ValidationError, ValidatorOptions } from 'class-validator';
