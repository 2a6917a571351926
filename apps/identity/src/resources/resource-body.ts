import { MFA_ENABLED_OPTION, MFA_RULES_OPTION } from '@lintel/auth';
import { checkTagList, InvalidInputError, pyRepr } from '@lintel/domain';
import { describeValue, isJsonObject, type JsonObject } from '@lintel/platform';

const MAX_MFA_RULES_BYTES = 16 * 1024;

/** Keystone's boolean user options, and the one list option, in the order its schema checks them. */
const USER_OPTIONS = ['ignore_change_password_upon_first_use', 'ignore_password_expiry', 'ignore_lockout_failure_attempts', 'lock_password', MFA_RULES_OPTION, MFA_ENABLED_OPTION];

/** A value as Keystone's (Python's) messages show it, for the common cases; others as JSON. */
function pyValue(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return describeValue('options', v);
}

/**
 * Reads the `{"<member>": {...}}` body of Keystone's resource routes with Keystone's messages:
 * typed accessors for the known attributes, everything else kept as extras (echoed back).
 */
export class ResourceBody {
  private constructor(
    readonly member: string,
    readonly o: JsonObject,
    private readonly known: Set<string>,
  ) {}

  static of(body: unknown, member: string, known: string[]): ResourceBody {
    if (!isJsonObject(body) || body[member] === undefined) throw InvalidInputError.missing(member, 'request body');
    const o = body[member];
    if (!isJsonObject(o)) throw InvalidInputError.field(member, `${describeValue(member, o)} is not of type 'object'`);
    return new ResourceBody(member, o, new Set([...known, 'id', 'links']));
  }

  has(key: string): boolean {
    return this.o[key] !== undefined;
  }

  required(key: string): void {
    if (!this.has(key)) throw InvalidInputError.field(this.member, `'${key}' is a required property`);
  }

  str(key: string, o: { max?: number; nullable?: boolean } = {}): string | null | undefined {
    const v = this.o[key];
    if (v === undefined || (o.nullable && v === null)) return v as undefined | null;
    const path = `${this.member}/${key}`;
    if (typeof v !== 'string') throw InvalidInputError.field(path, `${describeValue(path, v)} is not of type 'string'`);
    const max = o.max ?? 255;
    if (key === 'name' && !v.trim()) throw InvalidInputError.field(path, "'' is too short");
    if (v.length > max) throw InvalidInputError.field(path, `the value is longer than ${max} characters`);
    return v;
  }

  /**
   * Keystone's name of a project or domain: a string of 1 to 64 characters with at least one
   * that is not white space (the service strips the rest).
   */
  name(): string | undefined {
    const v = this.o.name;
    if (v === undefined) return undefined;
    const path = `${this.member}/name`;
    if (typeof v !== 'string') throw InvalidInputError.field(path, `${pyRepr(v)} is not of type 'string'`);
    const length = [...v].length;
    if (length < 1) throw InvalidInputError.field(path, "'' is too short");
    if (length > 64) throw InvalidInputError.field(path, `${pyRepr(v)} is too long`);
    if (!/\S/.test(v)) throw InvalidInputError.field(path, `${pyRepr(v)} does not match '[\\\\S]+'`);
    return v;
  }

  /** A tag list (Keystone's project tags: at most 80 distinct tags of 1 to 255 characters, no `,` or `/`). */
  tags(): string[] | undefined {
    return this.has('tags') ? checkTagList(this.o.tags, `${this.member}/tags`) : undefined;
  }

  bool(key: string): boolean | undefined {
    const v = this.o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw InvalidInputError.field(`${this.member}/${key}`, `${describeValue(key, v)} is not of type 'boolean'`);
    return v;
  }

  strings(key: string): string[] | undefined {
    const v = this.o[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length <= 255)) {
      throw InvalidInputError.field(`${this.member}/${key}`, "is not an array of strings");
    }
    return v as string[];
  }

  /**
   * Keystone's user `options`: an object of known option names with boolean values (the MFA rules:
   * a list of lists of method names), or null to take an option away (the user then shows no such
   * option). Checked in the order of Keystone's schema, so the first problem reported is its first.
   */
  userOptions(): Record<string, unknown> | undefined {
    const v = this.o.options;
    if (v === undefined) return undefined;
    if (!isJsonObject(v)) throw InvalidInputError.field('options', `${pyRepr(v)} is not of type 'object'`);
    for (const k of USER_OPTIONS) {
      const x = v[k];
      if (x === undefined || x === null) continue;
      if (k === MFA_RULES_OPTION) checkMfaRules(x);
      else if (typeof x !== 'boolean') throw InvalidInputError.field(`options/${k}`, `${pyRepr(x)} is not of type 'boolean', 'null'`);
    }
    const unknown = Object.keys(v).find((k) => !USER_OPTIONS.includes(k));
    if (unknown !== undefined) throw InvalidInputError.field('options', `Additional properties are not allowed ('${unknown.slice(0, 40)}' was unexpected)`);
    return v;
  }

  /**
   * Keystone's role `options`: an object whose only option is `immutable`, true, false or null
   * (null removes it). Keystone's messages name the field `options`, not `role/options`.
   */
  roleOptions(): Record<string, boolean | null> | undefined {
    const v = this.o.options;
    if (v === undefined) return undefined;
    if (!isJsonObject(v)) throw InvalidInputError.field('options', `${pyValue(v)} is not of type 'object'`);
    for (const [k, x] of Object.entries(v)) {
      if (k !== 'immutable') throw InvalidInputError.field('options', `Additional properties are not allowed ('${k.slice(0, 40)}' was unexpected)`);
      if (typeof x !== 'boolean' && x !== null) throw InvalidInputError.field('options/immutable', `${pyValue(x)} is not of type 'boolean', 'null'`);
    }
    return v as Record<string, boolean | null>;
  }

  /** A body `id`, when given, must be the path's (Keystone refuses to change ids). */
  sameId(id: string): void {
    if (this.o.id !== undefined && this.o.id !== id) throw new InvalidInputError(`Cannot change the ${this.member} ID`);
  }

  /** For members whose schema allows no additional properties (Keystone's wording). */
  noExtras(): void {
    const extra = Object.keys(this.extras());
    if (extra.length) throw InvalidInputError.field(this.member, `Additional properties are not allowed ('${extra[0]!.slice(0, 40)}' was unexpected)`);
  }

  nonEmpty(): void {
    if (!Object.keys(this.o).length) throw InvalidInputError.field(this.member, '{} does not have enough properties');
  }

  extras(): Record<string, unknown> {
    return Object.fromEntries(Object.entries(this.o).filter(([k]) => !this.known.has(k)));
  }
}

/**
 * `multi_factor_auth_rules` as Keystone's schema wants it (docs/keystone-totp-mfa.md): a list of
 * distinct rules, each a non-empty list of distinct strings. Method names are not checked against
 * the methods offered: a rule naming an unknown one is stored and, at login, ignored.
 */
function checkMfaRules(v: unknown): void {
  const path = `options/${MFA_RULES_OPTION}`;
  if (!Array.isArray(v)) throw InvalidInputError.field(path, `${pyRepr(v)} is not of type 'array', 'null'`);
  v.forEach((rule: unknown, i) => {
    if (!Array.isArray(rule)) throw InvalidInputError.field(`${path}/${i}`, `${pyRepr(rule)} is not of type 'array'`);
    rule.forEach((m: unknown, j) => {
      if (typeof m !== 'string') throw InvalidInputError.field(`${path}/${i}/${j}`, `${pyRepr(m)} is not of type 'string'`);
    });
    if (!rule.length) throw InvalidInputError.field(`${path}/${i}`, '[] is too short');
    if (new Set(rule).size !== rule.length) throw InvalidInputError.field(`${path}/${i}`, `${pyRepr(rule)} has non-unique elements`);
  });
  const seen = new Set(v.map((rule) => JSON.stringify(rule)));
  if (seen.size !== v.length) throw InvalidInputError.field(path, `${pyRepr(v)} has non-unique elements`);
  // Lintel's own bound, as for extras: user options live in one text column.
  if (Buffer.byteLength(JSON.stringify(v)) > MAX_MFA_RULES_BYTES) throw InvalidInputError.field(path, `the rules may take at most ${MAX_MFA_RULES_BYTES} bytes`);
}
