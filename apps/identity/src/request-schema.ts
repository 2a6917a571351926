import { InvalidInputError, MalformedBodyError, pyRepr } from '@lintel/domain';
import { describeValue, isJsonObject, type JsonObject } from '@lintel/platform';

/**
 * Keystone's request bodies, declared (docs/request-validation.md, "Keystone: request schemas").
 * Each body is one schema built from the checks below, which run in the order they are written,
 * as jsonschema runs a schema's keywords, and stop at the first problem. This module is the one
 * place Keystone's validation texts are worded: jsonschema's (`'name' is a required property`,
 * `5 is not of type 'string'`, `'' is too short`, ...) framed as Keystone frames them.
 */

/** What a check may read besides the value: the id in the route, and which steps to run now. */
export interface CheckContext {
  /** The id in the route, for `sameId`. */
  id?: string;
  /**
   * Check the body only up to this step or property (a step's name: `required`,
   * `minProperties`, `additional`, `sameId`, a `rule`'s; or a property's, a member's): for
   * routes that check part of a body before the policy decision and the rest after it. It
   * applies to the object the route is about (through its envelope), not to objects inside it.
   */
  until?: string;
  /** Set once `until` is reached, so that every object around it stops too. */
  halted?: { done: boolean };
}

/**
 * A check of one value: returns it typed, or throws Keystone's InvalidInputError for its first
 * problem. `at` is where the value is, as messages name it (`user/name`, `roles/0/id`; '' is the
 * object Keystone validates, whose messages carry no field).
 */
export interface Check<T> {
  (v: unknown, at: string, ctx?: CheckContext): T;
  /** The property names an object check declares (for extras and unknown keys). */
  readonly keys?: readonly string[];
}

type Out<C> = C extends Check<infer T> ? T : never;

/** The path of a member or an item below `at`. */
export const child = (at: string, key: string | number): string => (at ? `${at}/${key}` : String(key));

// ------------------------------------------------------------------ wording

/** A problem of the value at `at`: `Invalid input for field '<at>': <problem>`, or the problem alone at the top. */
export const invalid = (at: string, problem: string): InvalidInputError => (at ? InvalidInputError.field(at, problem) : new InvalidInputError(problem));

/**
 * How a message shows the offending value: `json` as JSON text cut at 40 characters (a secret
 * field by its type only: describeValue), `python` as Python's repr (jsonschema's own), `quoted`
 * between single quotes as it is, `none` not at all.
 */
export type Echo = 'json' | 'python' | 'quoted' | 'none';

function shown(echo: Echo, at: string, v: unknown): string {
  if (echo === 'json') return describeValue(at, v);
  if (echo === 'python') return pyRepr(v);
  return echo === 'quoted' ? `'${String(v)}'` : '';
}

const problem = (echo: Echo, at: string, v: unknown, text: string) => invalid(at, echo === 'none' ? text : `${shown(echo, at, v)} ${text}`);
const typeNames = (types: readonly string[]) => types.map((t) => `'${t}'`).join(', ');

/** jsonschema's `<value> is not of type '<type>'[, '<type>']`. */
export const notOfType = (at: string, v: unknown, echo: Echo, ...types: string[]) => problem(echo, at, v, `is not of type ${typeNames(types)}`);

/** Where `null` stands in a nullable value's type list (`'string', 'null'` or `'null', 'string'`), as the schema lists them. */
export type Nullable = 'first' | 'last';
const typesOf = (type: string, nullable?: Nullable) => (nullable === 'first' ? ['null', type] : nullable === 'last' ? [type, 'null'] : [type]);

// ------------------------------------------------------------------ strings

export interface StringOptions {
  min?: number;
  max?: number;
  /** The pattern, and its source as the message quotes it. */
  pattern?: [RegExp, string];
  nullable?: Nullable;
  /** How the type and pattern messages show the value (Python's repr unless said; lengths always as Python). */
  echo?: Echo;
  /** Count lengths in UTF-16 code units (`String.length`) instead of characters. */
  utf16?: boolean;
}

/** A string as jsonschema checks one: type, `is too short` / `is too long` (characters), `does not match '<pattern>'`. */
export function string(o: StringOptions & { nullable: Nullable }): Check<string | null>;
export function string(o?: StringOptions): Check<string>;
export function string(o: StringOptions = {}): Check<string | null> {
  const echo = o.echo ?? 'python';
  return (v, at) => {
    if (v === null && o.nullable) return null;
    if (typeof v !== 'string') throw notOfType(at, v, echo, ...typesOf('string', o.nullable));
    if (o.min !== undefined || o.max !== undefined) {
      const length = o.utf16 ? v.length : [...v].length;
      if (o.min !== undefined && length < o.min) throw problem('python', at, v, 'is too short');
      if (o.max !== undefined && length > o.max) throw problem('python', at, v, 'is too long');
    }
    if (o.pattern && !o.pattern[0].test(v)) throw problem(echo, at, v, `does not match '${o.pattern[1]}'`);
    return v;
  };
}

/** Keystone's `id_string`: 1 to 64 letters, digits and dashes. */
export const idString = (o: Omit<StringOptions, 'min' | 'max' | 'pattern'> = {}) => string({ min: 1, max: 64, pattern: [/^[a-zA-Z0-9-]+$/, '^[a-zA-Z0-9-]+$'], ...o });
/** Keystone's `name`: 1 to 255 characters, one of them not white space. */
export const nameString = (o: Omit<StringOptions, 'min' | 'pattern'> = {}) => string({ min: 1, max: 255, pattern: [/\S/, '[\\\\S]+'], ...o });

export interface TextOptions {
  /** At most this many UTF-16 code units (255 unless said). */
  max?: number;
  nullable?: boolean;
  /** White space alone is `'' is too short`. */
  nonBlank?: boolean;
  /** The empty string is `'' is too short`. */
  nonEmpty?: boolean;
  pattern?: [RegExp, string];
  /** One of these values (`<value> is not one of [...]`), the value shown as `echo` says. */
  oneOf?: readonly string[];
  oneOfEcho?: Echo;
  /** `range`: `the value must be 1 to <max> characters long`, the empty string included. */
  bounds?: 'range';
}

/**
 * A text attribute of Keystone's resources as Lintel has always worded it: the value shown as
 * JSON (a secret by its type), `the value is longer than <max> characters`.
 */
export function text(o: TextOptions & { nullable: true }): Check<string | null>;
export function text(o?: TextOptions): Check<string>;
export function text(o: TextOptions = {}): Check<string | null> {
  const max = o.max ?? 255;
  return (v, at) => {
    if (o.nullable && v === null) return null;
    if (typeof v !== 'string') throw notOfType(at, v, 'json', 'string');
    if ((o.nonBlank && !v.trim()) || (o.nonEmpty && !v.length)) throw invalid(at, "'' is too short");
    if (o.bounds === 'range' && (!v.length || v.length > max)) throw invalid(at, `the value must be 1 to ${max} characters long`);
    if (v.length > max) throw invalid(at, `the value is longer than ${max} characters`);
    if (o.pattern && !o.pattern[0].test(v)) throw problem('json', at, v, `does not match '${o.pattern[1]}'`);
    if (o.oneOf && !o.oneOf.includes(v)) throw problem(o.oneOfEcho ?? 'json', at, v, `is not one of [${o.oneOf.map((x) => `'${x}'`).join(', ')}]`);
    return v;
  };
}

// ------------------------------------------------------------------ other scalars

export interface ScalarOptions {
  nullable?: Nullable;
  echo?: Echo;
}

/** A boolean (`<value> is not of type 'boolean'`), the value shown as JSON unless said. */
export function boolean(o: ScalarOptions & { nullable: Nullable }): Check<boolean | null>;
export function boolean(o?: ScalarOptions): Check<boolean>;
export function boolean(o: ScalarOptions = {}): Check<boolean | null> {
  return (v, at) => {
    if (v === null && o.nullable) return null;
    if (typeof v !== 'boolean') throw notOfType(at, v, o.echo ?? 'json', ...typesOf('boolean', o.nullable));
    return v;
  };
}

/** An integer, at least `min` (`<value> is less than the minimum of <min>`). */
export function integer(o: ScalarOptions & { min?: number; nullable: Nullable }): Check<number | null>;
export function integer(o?: ScalarOptions & { min?: number }): Check<number>;
export function integer(o: ScalarOptions & { min?: number } = {}): Check<number | null> {
  return (v, at) => {
    if (v === null && o.nullable) return null;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw notOfType(at, v, o.echo ?? 'python', ...typesOf('integer', o.nullable));
    if (o.min !== undefined && v < o.min) throw invalid(at, `${v} is less than the minimum of ${o.min}`);
    return v;
  };
}

/** Any value at all. */
export const anything: Check<unknown> = (v) => v;

/** `check` with the value named `path` in messages wherever it is (Keystone names some values at the top: `options`). */
export const renamed = <T>(path: string, check: Check<T>): Check<T> => (v, _at, ctx) => check(v, path, ctx);

// ------------------------------------------------------------------ arrays

export interface ArrayOptions<T> extends ScalarOptions {
  items?: Check<T>;
  /** At least one item (`[] is too short`). */
  nonEmpty?: boolean;
  /** No item twice (`<value> has non-unique elements`). */
  unique?: boolean;
  /** A last check of the whole list. */
  then?: (v: T[], at: string) => void;
}

/** An array (its type, then each item in order, then its length and uniqueness), the value shown as Python would. */
export function array<T>(o: ArrayOptions<T> & { nullable: Nullable }): Check<T[] | null>;
export function array<T>(o?: ArrayOptions<T>): Check<T[]>;
export function array<T>(o: ArrayOptions<T> = {}): Check<T[] | null> {
  const echo = o.echo ?? 'python';
  return (v, at, ctx) => {
    if (v === null && o.nullable) return null;
    if (!Array.isArray(v)) throw notOfType(at, v, echo, ...typesOf('array', o.nullable));
    if (o.items) v.forEach((x, i) => o.items!(x, child(at, i), ctx?.id === undefined ? NONE : { id: ctx.id }));
    if (o.nonEmpty && !v.length) throw problem(echo, at, v, 'is too short');
    if (o.unique && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) throw problem(echo, at, v, 'has non-unique elements');
    o.then?.(v as T[], at);
    return v as T[];
  };
}

// ------------------------------------------------------------------ objects

/** The context of a value inside another: nothing to say. */
const NONE: CheckContext = Object.freeze({});

/** What a step returns to end the check where `CheckContext.until` says. */
const STOP = 'stop';

function halt(ctx: CheckContext): typeof STOP {
  if (ctx.halted) ctx.halted.done = true;
  return STOP;
}

/**
 * One step of an object check; `name` is what `CheckContext.until` names it by. A step may
 * return a value to stand in for a member (a missing member read as `{}`), or STOP.
 */
export interface Step<T> {
  readonly name: string;
  /** Property names the step declares. */
  readonly keys?: readonly string[];
  run(o: JsonObject, at: string, ctx: CheckContext): [string, unknown] | typeof STOP | void;
  /** The shape the step gives the object's type (never read at run time). */
  readonly shape?: T;
}

/** Each of `keys`, in order, must be there: `'<key>' is a required property`. */
export function required<K extends string>(...keys: K[]): Step<{ [P in K]: {} }> {
  return {
    name: 'required',
    run(o, at) {
      for (const k of keys) if (o[k] === undefined) throw invalid(at, `'${k}' is a required property`);
    },
  };
}

/** Each of `keys` must be there, in Keystone's own words: `Expecting to find <key> in <where>. ...`. */
export function expect<K extends string>(...keys: K[]): Step<{ [P in K]: {} }> {
  return {
    name: 'required',
    run(o, at) {
      for (const k of keys) if (o[k] === undefined) throw InvalidInputError.missing(k, at || 'request body');
    },
  };
}

type Props = Record<string, Check<unknown>>;

/** The declared properties, in order, each checked when it is there. */
export function properties<P extends Props>(props: P): Step<{ [K in keyof P]?: Out<P[K]> }> {
  const keys = Object.keys(props);
  return {
    name: 'properties',
    keys,
    run(o, at, ctx) {
      const inner = ctx.id === undefined ? NONE : { id: ctx.id };
      for (const k of keys) {
        if (k === ctx.until) return halt(ctx);
        if (o[k] !== undefined) props[k]!(o[k], child(at, k), inner);
      }
    },
  };
}

/** At least one property: `{} does not have enough properties`. */
export const minProperties = (): Step<{}> => ({
  name: 'minProperties',
  run(o, at) {
    if (!Object.keys(o).length) throw invalid(at, '{} does not have enough properties');
  },
});

/** At most one property: `<object> has too many properties`. */
export const maxOneProperty = (): Step<{}> => ({
  name: 'maxProperties',
  run(o, at) {
    if (Object.keys(o).length > 1) throw invalid(at, `${pyRepr(o)} has too many properties`);
  },
});

/**
 * No property the object does not declare (nor `allow`): `Additional properties are not allowed
 * (... was unexpected)`, naming the first one as it is (`first`, cut at 40 characters), the first
 * as Python shows it (`python`), or all of them (`all`), as each schema of Keystone words it.
 * The declared properties are those of the object the step is given to (one step per object).
 */
export function additional(style: 'first' | 'python' | 'all' = 'first', allow: readonly string[] = []): Step<{}> {
  const step = {
    name: 'additional',
    declared: [] as readonly string[],
    run(o: JsonObject, at: string) {
      const known = new Set([...step.declared, ...allow]);
      const unknown = Object.keys(o).filter((k) => !known.has(k));
      if (!unknown.length) return;
      const named = style === 'first' ? `'${unknown[0]!.slice(0, 40)}' was` : style === 'python' ? `${pyRepr(unknown[0])} was`
        : `${unknown.map((k) => pyRepr(k)).join(', ')} ${unknown.length > 1 ? 'were' : 'was'}`;
      throw invalid(at, `Additional properties are not allowed (${named} unexpected)`);
    },
  };
  return step;
}

/** A body `id`, when given, must be the route's (`CheckContext.id`): `message`, at the top, otherwise. */
export const sameId = (message: string): Step<{}> => ({
  name: 'sameId',
  run(o, _at, ctx) {
    if (o.id !== undefined && o.id !== ctx.id) throw new InvalidInputError(message);
  },
});

/** A rule of the schema no keyword says; its message is its own. */
export const rule = (name: string, run: (o: JsonObject, at: string, ctx: CheckContext) => void): Step<{}> => ({ name, run });

export interface MemberOptions {
  /** A missing member: Keystone's `Expecting to find <name> in ...` (`missing`), or read as `{}` (`empty`) or `[]` (`emptyList`). */
  absent?: 'missing' | 'empty' | 'emptyList';
  /** A null member counts as missing. */
  nullIsAbsent?: boolean;
  /** A member that is not an object counts as missing. */
  notObjectIsAbsent?: boolean;
  /** Where the member is, in messages, when not below its object (Keystone names some at the top). */
  at?: string;
}

/**
 * One member holding the object the route is about, checked by `schema`. The context's `until`
 * reaches into it.
 */
export function member<K extends string, T>(name: K, schema: Check<T>, o: MemberOptions = {}): Step<{ [P in K]: T }> {
  return {
    name: 'member',
    keys: [name],
    run(obj, at, ctx) {
      if (name === ctx.until) return halt(ctx);
      let v = obj[name];
      if ((o.nullIsAbsent && v === null) || (o.notObjectIsAbsent && !isJsonObject(v))) v = undefined;
      if (v === undefined) {
        if (o.absent === 'missing') throw InvalidInputError.missing(name, at || 'request body');
        if (o.absent === undefined) return;
        v = o.absent === 'empty' ? {} : [];
      }
      const checked = schema(v, o.at ?? child(at, name), ctx);
      if (checked !== obj[name]) return [name, checked];
    },
  };
}

type Intersect<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type Shape<S extends readonly Step<unknown>[]> = Intersect<NonNullable<S[number]['shape']>> & JsonObject;

export interface ObjectOptions {
  /** How the object's own type error shows the value (`json` unless said). */
  echo?: Echo;
  /** Where its properties are, in messages, when not below the object's own path. */
  children?: string;
}

/** An object: its type, then `steps` in order (up to the context's `until`). */
export function object<S extends Step<any>[]>(...steps: S): Check<Shape<S>>;
export function object<S extends Step<any>[]>(o: ObjectOptions, ...steps: S): Check<Shape<S>>;
export function object(...args: Array<ObjectOptions | Step<unknown>>): Check<JsonObject> {
  const o = (args.length && typeof (args[0] as Step<unknown>).run !== 'function' ? args.shift() : {}) as ObjectOptions;
  const steps = args as Array<Step<unknown> & { declared?: readonly string[] }>;
  const keys = steps.flatMap((s) => s.keys ?? []);
  for (const s of steps) if (s.name === 'additional') s.declared = keys;
  const check = (v: unknown, at: string, ctx: CheckContext = NONE) => {
    if (!isJsonObject(v)) throw notOfType(at, v, o.echo ?? 'json', 'object');
    const base = o.children ?? at;
    let out = v;
    for (const s of steps) {
      if (s.name === ctx.until) {
        halt(ctx);
        break;
      }
      const r = s.run(out, base, ctx);
      if (r === STOP || ctx.halted?.done) break;
      if (r) out = { ...out, [r[0]]: r[1] };
    }
    return out;
  };
  return Object.assign(check, { keys });
}

// ------------------------------------------------------------------ bodies

export interface BodyOptions {
  /** No body (or, with `nullish`, a JSON null) is an empty object. */
  empty?: 'undefined' | 'nullish';
  /**
   * A body that is not a JSON object: `malformed` is Keystone's "valid JSON" 400, `empty` reads
   * it as an empty object, `check` leaves it to the schema (its type error).
   */
  notObject?: 'malformed' | 'empty' | 'check';
}

/** A whole request body: how a missing or non-object body is read, then `schema` at the top. */
export interface RequestBody<T> {
  check(body: unknown, ctx?: CheckContext): T;
  /** The properties the body's object declares (for `extrasOf`). */
  readonly keys?: readonly string[];
}

export function body<T>(schema: Check<T>, o: BodyOptions = {}): RequestBody<T> {
  return {
    check(raw, ctx) {
      let v = raw;
      if (v === undefined || (o.empty === 'nullish' && v === null)) v = {};
      if (!isJsonObject(v)) {
        if (o.notObject === 'malformed') throw new MalformedBodyError();
        if (o.notObject === 'empty') v = {};
      }
      return schema(v, '', ctx?.until ? { ...ctx, halted: { done: false } } : ctx);
    },
  };
}

/**
 * Keystone's usual body: `{"<name>": {...}}`, the member checked by `schema`, whose value the
 * body's check returns. By default the member is required (`Expecting to find <name> in request
 * body`, also for a body that is not an object) and messages name its fields below it
 * (`<name>/enabled`); `RESOURCE_MEMBER` reads it as Keystone's resource routes do.
 */
export function envelope<K extends string, T>(name: K, schema: Check<T>, o: Pick<MemberOptions, 'absent' | 'at'> = { absent: 'missing' }): RequestBody<T> {
  const whole = body(object(member(name, schema, o)), { notObject: 'empty' });
  return { check: (raw, ctx) => (whole.check(raw, ctx) as Record<K, T>)[name], keys: schema.keys };
}

/**
 * How Keystone's user, group, project, domain and role routes read their member: an absent one
 * as `{}` (they validate `body.get(name, {})`), and its fields named from the member itself
 * (`Invalid input for field 'enabled'`, `'name' is a required property`), as jsonschema reports
 * the object it was given (docs/request-validation.md).
 */
export const RESOURCE_MEMBER = { absent: 'empty', at: '' } as const;

/**
 * The attributes of `o` no schema property names (nor `id` and `links`, which the server
 * sets), plus those of `stored` (checked, but kept with the extras): what Keystone stores and
 * echoes back as a resource's extra attributes.
 */
export function extrasOf(o: JsonObject, schema: { readonly keys?: readonly string[] }, stored: readonly string[] = []): Record<string, unknown> {
  const known = new Set([...(schema.keys ?? []), 'id', 'links']);
  return Object.fromEntries(Object.entries(o).filter(([k]) => !known.has(k) || stored.includes(k)));
}
