import { MFA_ENABLED_OPTION, MFA_RULES_OPTION } from '@lintel/auth';
import { checkTagItems, checkTagList } from '@lintel/domain';
import { describeValue, isJsonObject } from '@lintel/platform';
import {
  additional, anything, array, body, boolean, envelope, invalid, minProperties, notOfType, object, properties, renamed, required, RESOURCE_MEMBER, sameId,
  string, text, type Check,
} from '../request-schema.js';

/**
 * The bodies of Keystone's resource routes (users, groups, projects, domains, roles;
 * docs/keystone-resources-parity.md), one schema each, in the order Keystone checks them.
 */

const MAX_MFA_RULES_BYTES = 16 * 1024;

/** Keystone's name of a project or domain: 1 to 64 characters, one of them not white space (the service strips the rest). */
const projectName = () => string({ min: 1, max: 64, pattern: [/\S/, '[\\\\S]+'] });
/** A tag list (Keystone's project tags: at most 80 distinct tags of 1 to 255 characters, no `,` or `/`). */
const tags = (): Check<string[]> => (v, at) => checkTagList(v, at);
/** A role's description: Keystone's schema says `'string'` (Lintel also takes null, as it always has). */
const roleDescription = () => text({ max: 65535, nullable: true });
/** The description of a user, group, project or domain: `'string', 'null'` in Keystone's schema. */
const description = (): Check<string | null> => {
  const bounded = roleDescription();
  return (v, at) => {
    if (v !== null && typeof v !== 'string') throw notOfType(at, v, 'python', 'string', 'null');
    return bounded(v, at);
  };
};
const optionalId = () => text({ max: 64, nullable: true });

/**
 * `multi_factor_auth_rules` (docs/keystone-totp-mfa.md): a list of distinct rules, each a
 * non-empty list of distinct strings. Method names are not checked against the methods offered:
 * a rule naming an unknown one is stored and, at login, ignored.
 */
const mfaRules = array({
  nullable: 'last',
  items: array({ items: string(), nonEmpty: true, unique: true }),
  unique: true,
  then(v, at) {
    // Lintel's own bound, as for extras: user options live in one text column.
    if (Buffer.byteLength(JSON.stringify(v)) > MAX_MFA_RULES_BYTES) throw invalid(at, `the rules may take at most ${MAX_MFA_RULES_BYTES} bytes`);
  },
});

const userOption = () => boolean({ nullable: 'last', echo: 'python' });

/**
 * Keystone's user `options`, named `options` in messages: its boolean options and the MFA rules,
 * in the order its schema checks them; null takes an option away.
 */
const userOptions = renamed('options', object({ echo: 'python' }, properties({
  ignore_change_password_upon_first_use: userOption(),
  ignore_password_expiry: userOption(),
  ignore_lockout_failure_attempts: userOption(),
  lock_password: userOption(),
  [MFA_RULES_OPTION]: mfaRules,
  [MFA_ENABLED_OPTION]: userOption(),
}), additional()));

/** A value as Keystone's messages about role options show it: Python's repr for the common cases, JSON for others. */
function roleOptionValue(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return describeValue('options', v);
}

/**
 * Keystone's role `options`, named `options` in messages: an object whose only option is
 * `immutable`, true, false or null (null removes it), its members checked in the order sent.
 */
const roleOptions: Check<Record<string, boolean | null>> = (v) => {
  if (!isJsonObject(v)) throw invalid('options', `${roleOptionValue(v)} is not of type 'object'`);
  for (const [k, x] of Object.entries(v)) {
    if (k !== 'immutable') throw invalid('options', `Additional properties are not allowed ('${k.slice(0, 40)}' was unexpected)`);
    if (typeof x !== 'boolean' && x !== null) throw invalid('options/immutable', `${roleOptionValue(x)} is not of type 'boolean', 'null'`);
  }
  return v as Record<string, boolean | null>;
};

// ------------------------------------------------------------------ users

const USER = {
  // Stored as extras, but a client that sends them means text.
  description: description(),
  email: text({ nullable: true }),
  name: text({ nonBlank: true }),
  domain_id: text({ max: 64 }),
};

/** `POST /v3/users`: checked up to `default_project_id` before the policy decision, the rest once the domain is known. */
export const USER_CREATE = envelope('user', object(required('name'), properties({
  ...USER,
  default_project_id: optionalId(),
  password: text({ max: 4096, nullable: true }),
  enabled: boolean({ echo: 'python' }),
  options: userOptions,
})), RESOURCE_MEMBER);

/** `PATCH /v3/users/{id}`: checked up to `sameId` before the policy decision, the rest after it (`domain_id` may not change: the route's rule). */
export const USER_UPDATE = envelope('user', object(
  minProperties(),
  properties({ description: USER.description, email: USER.email, name: USER.name }),
  sameId('Cannot change ID'),
  properties({ domain_id: anything, default_project_id: optionalId(), enabled: boolean({ echo: 'python' }), password: text({ max: 4096, nullable: true }), options: userOptions }),
), RESOURCE_MEMBER);

/** `POST /v3/users/{id}/password`. */
export const PASSWORD_CHANGE = envelope('user', object(
  required('original_password', 'password'),
  properties({ original_password: text({ max: 4096 }), password: text({ max: 4096 }) }),
), RESOURCE_MEMBER);

/** What a user's extras are besides the attributes Keystone's user has: `description` and `email`. */
export const USER_EXTRAS_TOO = ['description', 'email'];

// ------------------------------------------------------------------ groups

const GROUP = { domain_id: text({ max: 64 }), name: text({ nonBlank: true }), description: description() };

/** `POST /v3/groups`: `name` required before the policy decision, `domain_id` after it, the rest once the domain is known. */
export const GROUP_CREATE = envelope('group', object(required('name'), properties(GROUP)), RESOURCE_MEMBER);

/** `PATCH /v3/groups/{id}`: the envelope before the policy decision, the rest once the group is found (`domain_id` is not read). */
export const GROUP_UPDATE = envelope('group', object(
  minProperties(),
  sameId('Cannot change ID'),
  properties({ domain_id: anything, name: GROUP.name, description: GROUP.description }),
), RESOURCE_MEMBER);

// ------------------------------------------------------------------ projects and domains

/** `POST /v3/projects`. */
export const PROJECT_CREATE = envelope('project', object(required('name'), properties({
  name: projectName(),
  is_domain: boolean(),
  domain_id: optionalId(),
  parent_id: optionalId(),
  description: description(),
  enabled: boolean({ echo: 'python' }),
  tags: tags(),
  options: anything,
})), RESOURCE_MEMBER);

/** `PATCH /v3/projects/{id}`: the attributes before the policy decision, `minProperties` on once the project is found. */
export const PROJECT_UPDATE = envelope('project', object(
  properties({
    name: projectName(), tags: tags(), description: description(), enabled: boolean({ echo: 'python' }), is_domain: boolean(),
    domain_id: optionalId(), parent_id: optionalId(), options: anything,
  }),
  minProperties(),
  sameId('Cannot change ID'),
), RESOURCE_MEMBER);

/** `POST /v3/domains`. */
export const DOMAIN_CREATE = envelope('domain', object(required('name'), properties({
  explicit_domain_id: text({ max: 64 }),
  name: projectName(),
  description: description(),
  enabled: boolean({ echo: 'python' }),
  tags: tags(),
  options: anything,
})), RESOURCE_MEMBER);

/** `PATCH /v3/domains/{id}`: the attributes before the policy decision, `minProperties` on after it. */
export const DOMAIN_UPDATE = envelope('domain', object(
  properties({ name: projectName(), description: description(), enabled: boolean({ echo: 'python' }), tags: tags(), options: anything, explicit_domain_id: anything }),
  minProperties(),
  sameId('Cannot change the domain ID'),
), RESOURCE_MEMBER);

/** `PUT /v3/projects/{id}/tags`: `{"tags": [...]}` and nothing else, each tag checked; the list as a whole is checked after the policy decision. */
export const PROJECT_TAGS = body(object(additional(), properties({ tags: ((v, at) => checkTagItems(v, at)) as Check<string[]> })), { empty: 'nullish', notObject: 'check' });

// ------------------------------------------------------------------ roles

const ROLE = { domain_id: optionalId(), name: text({ nonBlank: true }), description: roleDescription(), options: roleOptions };

/** `POST /v3/roles`. */
export const ROLE_CREATE = envelope('role', object(required('name'), properties(ROLE)), RESOURCE_MEMBER);

/** `PATCH /v3/roles/{id}`: checked up to `sameId` before the policy decision. */
export const ROLE_UPDATE = envelope('role', object(
  minProperties(),
  properties({ name: ROLE.name, description: ROLE.description, options: ROLE.options, domain_id: ROLE.domain_id }),
  sameId('Cannot change ID'),
), RESOURCE_MEMBER);
