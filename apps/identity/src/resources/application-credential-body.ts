import { InvalidInputError, pyRepr, type AccessRuleInput } from '@lintel/domain';
import { describeValue, isJsonObject, type JsonObject } from '@lintel/platform';

/**
 * `POST /v3/users/{user_id}/application_credentials`, checked as Keystone 22 checks it
 * (docs/keystone-application-credentials.md, "Creating"): the member's schema, property by
 * property in the schema's order, `name` required last; messages are jsonschema's first line.
 * Keys the schema does not name are allowed by it but refused by the store, as in Keystone.
 */
export interface AppCredBody {
  name: string;
  description: string | null;
  /** Empty when none was given (one is generated). */
  secret: string;
  expiresAt: string | null;
  roles: Array<{ id: string } | { name: string }> | undefined;
  unrestricted: boolean | undefined;
  accessRules: AccessRuleInput[] | undefined;
  system: string | null;
}

/** Keys Keystone's model takes besides the schema's (`id`, `user_id`, `project_id` are replaced by the server). */
const MODEL_KEYS = new Set(['id', 'name', 'description', 'secret', 'expires_at', 'roles', 'unrestricted', 'access_rules', 'user_id', 'project_id', 'system']);
const METHODS = /^(POST|GET|HEAD|PATCH|PUT|DELETE)$/;
const ID_PATTERN = /^[a-zA-Z0-9-]+$/;

const field = (path: string, problem: string) => (path ? InvalidInputError.field(path, problem) : new InvalidInputError(problem));
const typeError = (path: string, v: unknown, types: string) => field(path, `${path.endsWith('secret') ? describeValue('secret', v) : pyRepr(v)} is not of type ${types}`);

function string(path: string, v: unknown, o: { min?: number; max?: number; pattern?: [RegExp, string]; nullable?: 'first' | 'last' } = {}): string | null {
  if (v === null && o.nullable) return null;
  if (typeof v !== 'string') throw typeError(path, v, o.nullable === 'first' ? "'null', 'string'" : o.nullable === 'last' ? "'string', 'null'" : "'string'");
  const length = [...v].length;
  if (o.min !== undefined && length < o.min) throw field(path, `${pyRepr(v)} is too short`);
  if (o.max !== undefined && length > o.max) throw field(path, `${pyRepr(v)} is too long`);
  if (o.pattern && !o.pattern[0].test(v)) throw field(path, `${pyRepr(v)} does not match '${o.pattern[1]}'`);
  return v;
}

/** Keystone's `id_string` and `name` parameter types. */
const idString = (path: string, v: unknown) => string(path, v, { min: 1, max: 64, pattern: [ID_PATTERN, '^[a-zA-Z0-9-]+$'] })!;
const nameString = (path: string, v: unknown) => string(path, v, { min: 1, max: 255, pattern: [/\S/, '[\\\\S]+'] })!;

function roles(v: unknown): AppCredBody['roles'] {
  if (!Array.isArray(v)) throw typeError('roles', v, "'array'");
  return v.map((r, i) => {
    const path = `roles/${i}`;
    if (!isJsonObject(r)) throw typeError(path, r, "'object'");
    if (r.id !== undefined) idString(`${path}/id`, r.id);
    if (r.name !== undefined) nameString(`${path}/name`, r.name);
    const keys = Object.keys(r);
    if (keys.length < 1) throw field(path, `${pyRepr(r)} does not have enough properties`);
    if (keys.length > 1) throw field(path, `${pyRepr(r)} has too many properties`);
    if (r.id === undefined && r.name === undefined) throw field(path, `Additional properties are not allowed (${pyRepr(keys[0])} was unexpected)`);
    return r.id !== undefined ? { id: r.id as string } : { name: r.name as string };
  });
}

function accessRules(v: unknown): AccessRuleInput[] {
  if (!Array.isArray(v)) throw typeError('access_rules', v, "'array'");
  return v.map((r, i) => {
    const path = `access_rules/${i}`;
    if (!isJsonObject(r)) throw typeError(path, r, "'object'");
    if (r.path !== undefined) string(`${path}/path`, r.path, { min: 0, max: 225, pattern: [/^\//, '^\\\\/.*'] });
    if (r.method !== undefined) string(`${path}/method`, r.method, { pattern: [METHODS, METHODS.source] });
    if (r.service !== undefined) idString(`${path}/service`, r.service);
    if (r.id !== undefined) idString(`${path}/id`, r.id);
    const extra = Object.keys(r).filter((k) => !['path', 'method', 'service', 'id'].includes(k));
    if (extra.length) throw field(path, `Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
    const out: AccessRuleInput = {};
    for (const k of ['id', 'service', 'path', 'method'] as const) if (r[k] !== undefined) out[k] = r[k] as string;
    return out;
  });
}

/** Reads and checks the `application_credential` member of a create request. */
export function parseAppCredBody(body: unknown): AppCredBody {
  const root: JsonObject = isJsonObject(body) ? body : {};
  const c = root.application_credential === undefined ? {} : root.application_credential;
  if (!isJsonObject(c)) throw typeError('', c, "'object'");
  const name = c.name === undefined ? undefined : nameString('name', c.name);
  const description = c.description === undefined ? null : string('description', c.description, { nullable: 'last' });
  const secret = c.secret === undefined ? null : string('secret', c.secret, { nullable: 'first' });
  const expiresAt = c.expires_at === undefined ? null : string('expires_at', c.expires_at, { nullable: 'first' });
  const r = c.roles === undefined ? undefined : roles(c.roles);
  if (c.unrestricted !== undefined && typeof c.unrestricted !== 'boolean') throw typeError('unrestricted', c.unrestricted, "'boolean'");
  const rules = c.access_rules === undefined ? undefined : accessRules(c.access_rules);
  if (name === undefined) throw field('', "'name' is a required property");
  // Not in Keystone 22's schema, so any JSON is taken there; upstream now says a string or null.
  const system = c.system === undefined ? null : string('system', c.system, { max: 64, nullable: 'first' });
  const unknown = Object.keys(c).find((k) => !MODEL_KEYS.has(k));
  if (unknown !== undefined) throw new InvalidInputError(`${pyRepr(unknown)} is an invalid keyword argument for ApplicationCredentialModel`);
  return {
    name, description, secret: secret ?? '', expiresAt, roles: r, unrestricted: c.unrestricted as boolean | undefined,
    accessRules: rules, system,
  };
}

/**
 * Keystone's `parse_expiration_date`: ISO 8601 as the `iso8601` library reads it, with `Z`
 * appended when missing (so a bare date, or an offset, is refused), in the future. Returns
 * microseconds since the epoch.
 */
const ISO8601 = /^(\d{4})(?:(?:-(\d{1,2})|(\d{2})(?!$))(?:(?:-(\d{1,2})|(\d{2}))(?:[ T](\d{2})(?::?(\d{2}))?(?::?(\d{1,2})(?:[.,](\d+))?)?(Z|([-+])(\d{2}):?(\d{2})?)?)?)?)?$/;
const TIMESTAMP_FORMAT = 'Timestamp not in expected format. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';
const IN_THE_PAST = "The 'expires_at' must not be before now. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.";

export function parseExpiry(text: string, nowMicros: bigint): bigint {
  const s = text.endsWith('Z') ? text : `${text}Z`;
  const m = ISO8601.exec(s);
  if (!m) throw new InvalidInputError(TIMESTAMP_FORMAT);
  const year = Number(m[1]);
  const month = Number(m[2] ?? m[3] ?? 1);
  const day = Number(m[4] ?? m[5] ?? 1);
  const hour = Number(m[6] ?? 0);
  const minute = Number(m[7] ?? 0);
  const second = Number(m[8] ?? 0);
  const micro = Number(((m[9] ?? '') + '000000').slice(0, 6));
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw new InvalidInputError(TIMESTAMP_FORMAT);
  }
  const offsetMinutes = m[11] ? (m[11] === '-' ? -1 : 1) * (Number(m[12]) * 60 + Number(m[13] ?? 0)) : 0;
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute - offsetMinutes, second, 0);
  const us = BigInt(utc.getTime()) * 1000n + BigInt(micro);
  if (us <= nowMicros) throw new InvalidInputError(IN_THE_PAST);
  return us;
}

function daysIn(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0);
  return d.getUTCDate();
}
