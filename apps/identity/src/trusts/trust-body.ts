import { InvalidInputError } from '@lintel/domain';
import type { JsonObject } from '@lintel/platform';
import {
  additional, array, body, boolean, idString, integer, maxOneProperty, member, minProperties, nameString, object, properties, required, string,
} from '../request-schema.js';

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

/** Keystone's `external_id_string`: user ids of 1 to 64 characters. */
const userId = () => string({ min: 1, max: 64 });

const ROLE = object({ echo: 'python' }, additional('all'), minProperties(), maxOneProperty(), properties({ id: idString(), name: nameString() }));

/**
 * Keystone's `trust_create` schema (docs/keystone-trusts.md, "Creating a trust"): required
 * trustor, trustee and impersonation; typed optional attributes; roles by id or by name. Errors
 * at the top of the object carry no field name, as Keystone's.
 */
const TRUST = object({ echo: 'python' },
  required('trustor_user_id', 'trustee_user_id', 'impersonation'),
  properties({
    trustor_user_id: userId(),
    trustee_user_id: userId(),
    impersonation: boolean({ echo: 'python' }),
    project_id: idString({ nullable: 'last' }),
    remaining_uses: integer({ min: 1, nullable: 'last' }),
    expires_at: string({ nullable: 'first' }),
    allow_redelegation: boolean({ nullable: 'last', echo: 'python' }),
    redelegation_count: integer({ min: 0, nullable: 'last' }),
    roles: array({ items: ROLE }),
  }),
);

/** `POST /v3/OS-TRUST/trusts`: a `trust` that is missing, or no object, is an empty one. */
const BODY = body(object(member('trust', TRUST, { absent: 'empty', notObjectIsAbsent: true, at: '' })), { notObject: 'empty' });

/** Checks a create request's body and returns the trust asked for. */
export function parseTrustBody(raw: unknown): TrustRequest {
  return trustRequest(BODY.check(raw).trust);
}

/** Checks the `trust` member of a create request. */
export const parseTrust = (o: JsonObject): TrustRequest => trustRequest(TRUST(o, ''));

function trustRequest(o: ReturnType<typeof TRUST>): TrustRequest {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!KNOWN.has(k) && !IGNORED.has(k)) extra[k] = v;
  return {
    trustorUserId: o.trustor_user_id, trusteeUserId: o.trustee_user_id, impersonation: o.impersonation, projectId: o.project_id ?? null,
    remainingUses: o.remaining_uses ?? null, expiresAt: o.expires_at ?? null, allowRedelegation: o.allow_redelegation === true,
    redelegationCount: o.redelegation_count, roles: (o.roles ?? []).map((r) => (r.id !== undefined ? { id: r.id } : { name: r.name! })), extra,
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
