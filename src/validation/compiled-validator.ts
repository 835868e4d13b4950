import { getMetadataStorage, ValidationTypes, type ValidationArguments } from './class-validator.js';

/**
 * A DTO's class-validator rules, looked up once and kept as plain lists, so that the common case
 * (a valid body) costs one call per rule and no metadata search. class-validator's `validateSync`
 * searches the metadata storage, groups it by property and builds a ValidationError per property
 * on every call; under load that was most of the validation cost (docs/benchmarks.md).
 *
 * It answers one question, "does this object break any rule?", exactly as `validateSync` with
 * the same options would, by running the very constraint implementations class-validator
 * registered for the decorators. Only `validateSync` says *which* rules are broken and how, so
 * a caller runs it when the answer is yes (see status-update.pipe.ts).
 *
 * The supported subset is what the relay's DTOs use: `@IsDefined`, `@IsOptional`/`@ValidateIf`
 * (conditional validation) and every synchronous custom or built-in constraint. A DTO with
 * anything else (nested or `each` validation, groups, `always`, async constraints, per-rule
 * `validateIf`) is refused at start, so the two can never disagree.
 */
type MetadataStorage = ReturnType<typeof getMetadataStorage>;
/** One rule as class-validator stores it (its class is not exported from the package's entry). */
type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

export type RuleCheck = (object: Record<string, unknown>) => boolean;

interface Rule {
  readonly constraint: { validate(value: unknown, args?: ValidationArguments): unknown };
  /** Reused per call: validation is synchronous and one object is checked at a time. */
  readonly args: ValidationArguments;
}

interface PropertyRules {
  readonly name: string;
  readonly conditions: readonly ((object: object, value: unknown) => boolean)[];
  /** `@IsDefined` first: class-validator checks it before anything else (ValidationExecutor). */
  readonly rules: readonly Rule[];
}

const SUPPORTED_TYPES = new Set<string>([ValidationTypes.IS_DEFINED, ValidationTypes.CUSTOM_VALIDATION, ValidationTypes.CONDITIONAL_VALIDATION]);

export function compileRules(dto: new () => object): RuleCheck {
  const storage = getMetadataStorage();
  // The same search validateSync makes with no groups, `always` and `strictGroups` off.
  const metadatas = storage.getTargetValidationMetadatas(dto, undefined as unknown as string, false, false, undefined);
  if (metadatas.length === 0) throw new Error(`${dto.name} has no class-validator rules`);
  const properties = Object.entries(storage.groupByPropertyName(metadatas)).map(([name, list]) => compileProperty(storage, dto, name, list));
  return (object) => {
    for (const property of properties) {
      const value = object[property.name];
      if (!property.conditions.every((condition) => condition(object, value))) continue;
      for (const rule of property.rules) {
        rule.args.object = object;
        rule.args.value = value;
        // Truthiness, as class-validator reads a constraint's answer.
        if (!rule.constraint.validate(value, rule.args)) return false;
      }
    }
    return true;
  };
}

function compileProperty(storage: MetadataStorage, dto: new () => object, name: string, list: readonly ValidationMetadata[]): PropertyRules {
  for (const metadata of list) {
    if (!SUPPORTED_TYPES.has(metadata.type) || metadata.each || metadata.always === true || (metadata.groups?.length ?? 0) > 0 || metadata.validateIf) {
      throw new Error(`${dto.name}.${name}: a rule of type ${metadata.type} is beyond what compileRules supports`);
    }
  }
  const ordered = [
    ...list.filter((metadata) => metadata.type === ValidationTypes.IS_DEFINED),
    ...list.filter((metadata) => metadata.type === ValidationTypes.CUSTOM_VALIDATION),
  ];
  const rules = ordered.flatMap((metadata) =>
    storage.getTargetValidatorConstraints(metadata.constraintCls).map((constraint): Rule => {
      if (constraint.async) throw new Error(`${dto.name}.${name}: asynchronous constraint ${constraint.name}`);
      const args: ValidationArguments = { targetName: dto.name, property: name, object: {}, value: undefined, constraints: metadata.constraints };
      return { constraint: constraint.instance, args };
    }),
  );
  const conditions = list
    .filter((metadata) => metadata.type === ValidationTypes.CONDITIONAL_VALIDATION)
    .map((metadata) => metadata.constraints[0] as (object: object, value: unknown) => boolean);
  return { name, conditions, rules };
}
