import { InvalidInputError, pyRepr } from '@lintel/domain';
import { isJsonObject, type JsonObject } from '@lintel/platform';

/** A role of a trust request: by id or by name, exactly one of them. */
export type RoleRef = { id: string } | { name: string };

/** `POST /v3/OS-TRUST/trusts`'s `trust` once it passed Keystone's schema. */
export interface TrustRequest {
  trustorUserId: string;
  trusteeUserId: string;
  impersonation: boolean;
  projectId: string | null;
  remainingUses: number | null;
  expiresAt: string | null;
  allowRedelegation: boolean;
  redelegationCount: number | null | undefined;
  roles: RoleRef[];
  /** Attributes beyond Keystone's: stored and echoed back. */
  extra: Record<string, unknown>;
}

const KNOWN = new Set(['trustor_user_id', 'trustee_user_id', 'impersonation', 'project_id', 'remaining_uses', 'expires_at', 'allow_redelegation', 'redelegation_count', 'roles']);
/** What a client may send but never sets: Keystone assigns or overwrites them. */
const IGNORED = new Set(['id', 'links', 'roles_links', 'deleted_at', 'redelegated_trust_id']);
const ID_PATTERN = /^[a-zA-Z0-9-]+$/;

const bad = (path: string | undefined, problem: string) => new InvalidInputError(path === undefined ? problem : `Invalid input for field '${path}': ${problem}`);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** jsonschema's text for a value of the wrong type, as Keystone shows it. */
const notOfType = (path: string, v: unknown, ...types: string[]) => bad(path, `${pyRepr(v)} is not of type ${types.map((t) => `'${t}'`).join(', ')}`);

function length(path: string, v: string, min: number, max: number): void {
  const n = [...v].length;
  if (n < min) throw bad(path, `${pyRepr(v)} is too short`);
  if (n > max) throw bad(path, `${pyRepr(v)} is too long`);
}

/** Keystone's `external_id_string`: user ids of 1 to 64 characters. */
function userId(o: JsonObject, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw notOfType(key, v, 'string');
  length(key, v, 1, 64);
  return v;
}

/** Keystone's `id_string`: 1 to 64 letters, digits and dashes. */
function idString(path: string, v: string): string {
  length(path, v, 1, 64);
  if (!ID_PATTERN.test(v)) throw bad(path, `${pyRepr(v)} does not match '^[a-zA-Z0-9-]+$'`);
  return v;
}

function role(path: string, v: unknown): RoleRef {
  if (!isJsonObject(v)) throw notOfType(path, v, 'object');
  const keys = Object.keys(v);
  const extra = keys.filter((k) => k !== 'id' && k !== 'name');
  if (extra.length) throw bad(path, `Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
  if (keys.length < 1) throw bad(path, `${pyRepr(v)} does not have enough properties`);
  if (keys.length > 1) throw bad(path, `${pyRepr(v)} has too many properties`);
  if (v.id !== undefined) {
    if (typeof v.id !== 'string') throw notOfType(`${path}/id`, v.id, 'string');
    return { id: idString(`${path}/id`, v.id) };
  }
  if (typeof v.name !== 'string') throw notOfType(`${path}/name`, v.name, 'string');
  length(`${path}/name`, v.name, 1, 255);
  if (!/\S/.test(v.name)) throw bad(`${path}/name`, `${pyRepr(v.name)} does not match '[\\\\S]+'`);
  return { name: v.name };
}

/**
 * Checks a trust the way Keystone's `trust_create` schema does (docs/keystone-trusts.md,
 * "Creating a trust"): required trustor, trustee and impersonation; typed optional attributes;
 * roles by id or by name. Errors at the top of the object carry no field name, as Keystone's.
 */
export function parseTrust(o: JsonObject): TrustRequest {
  for (const key of ['trustor_user_id', 'trustee_user_id', 'impersonation']) {
    if (o[key] === undefined) throw bad(undefined, `'${key}' is a required property`);
  }
  const trustorUserId = userId(o, 'trustor_user_id');
  const trusteeUserId = userId(o, 'trustee_user_id');
  if (typeof o.impersonation !== 'boolean') throw notOfType('impersonation', o.impersonation, 'boolean');

  let projectId: string | null = null;
  if (o.project_id !== undefined && o.project_id !== null) {
    if (typeof o.project_id !== 'string') throw notOfType('project_id', o.project_id, 'string', 'null');
    projectId = idString('project_id', o.project_id);
  }
  let remainingUses: number | null = null;
  if (o.remaining_uses !== undefined && o.remaining_uses !== null) {
    if (!isInt(o.remaining_uses)) throw notOfType('remaining_uses', o.remaining_uses, 'integer', 'null');
    if (o.remaining_uses < 1) throw bad('remaining_uses', `${o.remaining_uses} is less than the minimum of 1`);
    remainingUses = o.remaining_uses;
  }
  let expiresAt: string | null = null;
  if (o.expires_at !== undefined && o.expires_at !== null) {
    if (typeof o.expires_at !== 'string') throw notOfType('expires_at', o.expires_at, 'null', 'string');
    expiresAt = o.expires_at;
  }
  if (o.allow_redelegation !== undefined && o.allow_redelegation !== null && typeof o.allow_redelegation !== 'boolean') {
    throw notOfType('allow_redelegation', o.allow_redelegation, 'boolean', 'null');
  }
  let redelegationCount: number | null | undefined = o.redelegation_count === null ? null : undefined;
  if (o.redelegation_count !== undefined && o.redelegation_count !== null) {
    if (!isInt(o.redelegation_count)) throw notOfType('redelegation_count', o.redelegation_count, 'integer', 'null');
    if (o.redelegation_count < 0) throw bad('redelegation_count', `${o.redelegation_count} is less than the minimum of 0`);
    redelegationCount = o.redelegation_count;
  }
  let roles: RoleRef[] = [];
  if (o.roles !== undefined) {
    if (!Array.isArray(o.roles)) throw notOfType('roles', o.roles, 'array');
    roles = o.roles.map((r, i) => role(`roles/${i}`, r));
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!KNOWN.has(k) && !IGNORED.has(k)) extra[k] = v;
  return {
    trustorUserId, trusteeUserId, impersonation: o.impersonation, projectId, remainingUses, expiresAt,
    allowRedelegation: o.allow_redelegation === true, redelegationCount, roles, extra,
  };
}

/**
 * The ISO 8601 forms Keystone's expiry parser (iso8601) accepts once a `Z` is appended to a
 * string without one: a date, then a time of at least the hour, `-` and `:` optional.
 */
const ISO8601 = /^(\d{4})(?:-(\d{1,2})|(\d{2}))(?:-(\d{1,2})|(\d{2}))[ T](\d{2})(?::?(\d{2}))?(?::?(\d{1,2})(?:[.,](\d+))?)?Z$/;

const TIMESTAMP = 'Timestamp not in expected format. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';
const PAST = "The 'expires_at' must not be before now. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.";

/** Keystone's `parse_expiration_date`: UTC, `Z` optional; 400 for another form and for an instant already past. */
export function parseExpiry(text: string, now = Date.now()): Date {
  const m = ISO8601.exec(text.endsWith('Z') ? text : `${text}Z`);
  if (!m) throw new InvalidInputError(TIMESTAMP);
  const [year, month, day, hour, minute, second] = [m[1], m[2] ?? m[3], m[4] ?? m[5], m[6], m[7] ?? '0', m[8] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const ms = Number(`0.${m[9] ?? '0'}`.slice(0, 8)) * 1000;
  const d = new Date(Date.UTC(year, month - 1, day, hour, minute, second, Math.floor(ms)));
  if (month < 1 || month > 12 || day < 1 || d.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) throw new InvalidInputError(TIMESTAMP);
  if (d.getTime() < now) throw new InvalidInputError(PAST);
  return d;
}
