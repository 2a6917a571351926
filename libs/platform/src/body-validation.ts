import 'reflect-metadata';
import {
  getMetadataStorage, registerDecorator, validateSync, ValidateIf, ValidateNested, type ValidationArguments, type ValidationError,
  type ValidationOptions,
} from 'class-validator';
import { isJsonObject } from './wire.js';

/**
 * Request bodies of the cloud dialects (SODA, Outscale, Alibaba, Edgio's parameters) are DTO
 * classes with class-validator decorators; `validateBody` checks one and hands what failed to the
 * dialect's renderer, the one place that words that dialect's validation errors
 * (docs/request-validation.md).
 */

/** One thing wrong with a body: where, which rule, the value there and the rule's parameters. */
export interface BodyViolation {
  /** Member names from the body down to the value; empty for the body itself. */
  path: string[];
  /**
   * The rule: class-validator's constraint name (`isString`, `isIn`, ...), `unknown` for a member
   * a closed DTO does not declare, or `isJsonObject` for a body that is not an object.
   */
  rule: string;
  value: unknown;
  /** The parameters the decorator was given (`isIn`'s list, `chars`' bounds). */
  constraints: readonly unknown[];
}

/** Turns the violations of a body (never empty) into the dialect's error. */
export type BodyErrorRenderer = (violations: BodyViolation[], body: Record<string, unknown>) => Error;

/**
 * Within one member, the rule reported when several fail: presence first, then the JSON type,
 * then size, then value, as every dialect checks them.
 */
const RULE_ORDER = [
  'present', 'isNotEmpty', 'isJsonObject', 'isObject', 'isArray', 'isString', 'isBoolean', 'isNumber',
  'chars', 'arrayMaxSize', 'isIn', 'nestedValidation',
];
const rank = (rule: string) => (RULE_ORDER.includes(rule) ? RULE_ORDER.indexOf(rule) : RULE_ORDER.length);

const NESTED = Symbol('lintel.nested');
type Constructor<T = object> = new () => T;

/** Member names of a DTO, in the order they are declared. */
export function declaredMembers(dto: Constructor): string[] {
  return [...new Set(metadataOf(dto).map((m) => m.propertyName))];
}

function metadataOf(dto: Constructor) {
  return getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
}

/**
 * The DTO instance class-validator checks: the body's members copied as they are, objects under a
 * `@Nested` member made instances of its DTO. `constructor` and `__proto__` are left out (the
 * first would hide the instance's class from class-validator); unknownMembers refuses them
 * where unknown members are refused.
 */
function instantiate<T extends object>(dto: Constructor<T>, plain: Record<string, unknown>): T {
  const out = Object.create(dto.prototype) as T;
  const nested: Record<string, () => Constructor> = Reflect.getMetadata(NESTED, dto.prototype) ?? {};
  for (const [k, v] of Object.entries(plain)) {
    if (k === 'constructor' || k === '__proto__') continue;
    const type = Object.hasOwn(nested, k) ? nested[k] : undefined;
    const value = type && isJsonObject(v) ? instantiate(type(), v) : v;
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The violations under one class-validator error, each member's most basic failed rule (RULE_ORDER). */
function collect(dto: Constructor, errors: ValidationError[], path: string[], out: BodyViolation[]): void {
  for (const e of errors) {
    const at = [...path, e.property];
    const failed = Object.keys(e.constraints ?? {}).sort((a, b) => rank(a) - rank(b));
    const rule = failed[0];
    if (rule !== undefined && rule !== 'nestedValidation') {
      const meta = metadataOf(dto).find((m) => m.propertyName === e.property && (m.name === rule || m.type === rule));
      out.push({ path: at, rule, value: e.value, constraints: meta?.constraints ?? [] });
    } else if (e.children?.length) {
      const nested: Record<string, () => Constructor> = Reflect.getMetadata(NESTED, dto.prototype) ?? {};
      collect(nested[e.property]!(), e.children, at, out);
    }
  }
}

/**
 * Members of `plain` its closed DTO does not declare, here and in its `@Nested` members. Checked
 * here rather than by class-validator's whitelist, which lets `constructor` and `__proto__` pass.
 */
function unknownMembers(dto: Constructor, plain: Record<string, unknown>, path: string[], out: BodyViolation[]): void {
  const declared = declaredMembers(dto);
  const nested: Record<string, () => Constructor> = Reflect.getMetadata(NESTED, dto.prototype) ?? {};
  for (const [k, v] of Object.entries(plain)) {
    if (!declared.includes(k)) out.push({ path: [...path, k], rule: 'unknown', value: v, constraints: [] });
    else if (Object.hasOwn(nested, k) && isJsonObject(v)) unknownMembers(nested[k]!(), v, [...path, k], out);
  }
}

/**
 * Checks `body` against `dto`: a JSON object whose members pass the DTO's decorators, and, with
 * `closed`, no member the DTO does not declare. Returns the body, typed, or throws what `render`
 * makes of the violations: unknown members first (in the body's order), then each declared
 * member's most basic failed rule, in the order the DTO declares them.
 */
export function validateBody<T extends object>(dto: Constructor<T>, body: unknown, render: BodyErrorRenderer, o: { closed?: boolean } = {}): T {
  if (!isJsonObject(body)) throw render([{ path: [], rule: 'isJsonObject', value: body, constraints: [] }], {});
  const violations: BodyViolation[] = [];
  if (o.closed) unknownMembers(dto, body, [], violations);
  const errors = validateSync(instantiate(dto, body), { forbidUnknownValues: false, validationError: { target: false } });
  collect(dto, errors, [], violations);
  if (violations.length) throw render(violations, body);
  return body as T;
}

// ------------------------------------------------------------------ decorators

function rule(name: string, constraints: unknown[], test: (value: unknown, args: ValidationArguments) => boolean, options?: ValidationOptions): PropertyDecorator {
  return (target: object, property: string | symbol) =>
    registerDecorator({ name, target: target.constructor, propertyName: String(property), constraints, options, validator: { validate: test } });
}

/** The member must be there (any value, null included: its type is another rule's). */
export const Present = (options?: ValidationOptions) => rule('present', [], (v) => v !== undefined, options);

/** The member's other rules apply only when it is there (unlike `IsOptional`, a null is checked). */
export const IfPresent = () => ValidateIf((_o: object, v: unknown) => v !== undefined);

/** A string of `min` to `max` UTF-16 code units (as `String.length` counts, not as validator.js does). */
export const Chars = (min: number, max: number, options?: ValidationOptions) =>
  rule('chars', [min, max], (v) => typeof v === 'string' && v.length >= min && v.length <= max, options);

/** A JSON object (not an array, not null) whose members `type` declares. */
export function Nested(type: () => Constructor): PropertyDecorator {
  return (target: object, property: string | symbol) => {
    const proto = target as object;
    const map = { ...(Reflect.getMetadata(NESTED, proto) ?? {}), [property]: type };
    Reflect.defineMetadata(NESTED, map, proto);
    rule('isJsonObject', [], (v) => isJsonObject(v))(target, property);
    ValidateNested()(target, property);
  };
}

/** The member may not be `true` while `other` is given (Outscale's pairs of a value and its clearing). */
export const NotWith = (other: string, options?: ValidationOptions) =>
  rule('notWith', [other], (v, args) => !(v === true && (args.object as Record<string, unknown>)[other] !== undefined), options);
