import {
  additional, body, envelope, expect, invalid, member, object, properties, required, text, type Check,
} from '../request-schema.js';

/** The bodies of the console's access-key routes (docs/console.md). */

/** The caller's password, asked again to create a key. */
const password: Check<string> = (v, at) => {
  if (typeof v !== 'string' || !v || v.length > 4096) throw invalid(at, 'is not a non-empty string');
  return v;
};

/**
 * `{"access_key": {"user_id"?, "expires_at"?}, "password": "<the caller's>"}`: the member's
 * presence, the password, then the member's attributes (docs/console.md).
 */
export const ACCESS_KEY_CREATE = body(object(
  member('access_key', object(), { absent: 'missing' }),
  expect('password'),
  properties({ password }),
  member('access_key', object(additional('first', ['id', 'links']), properties({ user_id: text({ max: 64 }), expires_at: text({ max: 64, nullable: true }) }))),
), { notObject: 'empty' });

/** `{"access_key": {"state": "active" | "inactive"}}`. */
export const ACCESS_KEY_UPDATE = envelope('access_key', object(
  additional('first', ['id', 'links']),
  required('state'),
  properties({ state: text({ max: 16, oneOf: ['active', 'inactive'], oneOfEcho: 'quoted' }) }),
));
