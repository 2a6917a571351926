import { InvalidInputError, pyRepr, type AccessRuleInput } from '@lintel/domain';
import {
  additional, array, body, boolean, idString, maxOneProperty, member, minProperties, nameString, object, properties, required, rule, string,
} from '../request-schema.js';

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

const ROLE = object({ echo: 'python' }, properties({ id: idString(), name: nameString() }), minProperties(), maxOneProperty(), additional('python'));

const ACCESS_RULE = object({ echo: 'python' }, properties({
  path: string({ min: 0, max: 225, pattern: [/^\//, '^\\\\/.*'] }),
  method: string({ pattern: [METHODS, METHODS.source] }),
  service: idString(),
  id: idString(),
}), additional('all'));

/** The member's schema, then the keys Keystone's model does not take (refused by its store, not its schema). */
const APP_CRED = object({ echo: 'python' },
  properties({
    name: nameString(),
    description: string({ nullable: 'last' }),
    secret: string({ nullable: 'first', echo: 'json' }),
    expires_at: string({ nullable: 'first' }),
    roles: array({ items: ROLE }),
    unrestricted: boolean({ echo: 'python' }),
    access_rules: array({ items: ACCESS_RULE }),
  }),
  required('name'),
  // Not in Keystone 22's schema, so any JSON is taken there; upstream now says a string or null.
  properties({ system: string({ max: 64, nullable: 'first' }) }),
  rule('model', (o) => {
    const unknown = Object.keys(o).find((k) => !MODEL_KEYS.has(k));
    if (unknown !== undefined) throw new InvalidInputError(`${pyRepr(unknown)} is an invalid keyword argument for ApplicationCredentialModel`);
  }),
);

/** The body: a missing member is an empty one; its messages name no member. */
const BODY = body(object(member('application_credential', APP_CRED, { absent: 'empty', at: '' })), { notObject: 'empty' });

/** Reads and checks the `application_credential` member of a create request. */
export function parseAppCredBody(raw: unknown): AppCredBody {
  const c = BODY.check(raw).application_credential;
  return {
    name: c.name, description: c.description ?? null, secret: c.secret ?? '', expiresAt: c.expires_at ?? null,
    roles: c.roles?.map((r) => (r.id !== undefined ? { id: r.id } : { name: r.name! })),
    unrestricted: c.unrestricted,
    accessRules: c.access_rules?.map((r) => {
      const out: AccessRuleInput = {};
      for (const k of ['id', 'service', 'path', 'method'] as const) if (r[k] !== undefined) out[k] = r[k];
      return out;
    }),
    system: c.system ?? null,
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
