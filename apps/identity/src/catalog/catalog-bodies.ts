import {
  additional, body, boolean, envelope, member, minProperties, object, properties, required, sameId, string, text,
} from '../request-schema.js';

/**
 * The bodies of the catalog routes (docs/keystone.md, "Catalog administration";
 * docs/keystone-catalog-extensions.md), one schema each, in the order Keystone checks them.
 */

const INTERFACES = ['admin', 'internal', 'public'] as const;
/** Keystone's `parameter_types.url`: a scheme, a colon, something; at most 225 characters. */
const URL_PATTERN = '^[a-zA-Z0-9+.-]+:.+';

// ------------------------------------------------------------------ regions

/** Keystone's `_region_properties` (its column holds 255 characters). */
const REGION = { description: text({ nullable: true }), parent_region_id: text({ nullable: true }) };

/** `POST /v3/regions` and `PUT /v3/regions/{id}` (checked up to `description` before the route's ids are compared). An empty `id` means "choose one". */
export const REGION_CREATE = envelope('region', object(properties({ id: text(), ...REGION })));

/** `PATCH /v3/regions/{id}`. */
export const REGION_UPDATE = envelope('region', object(minProperties(), sameId('Cannot change the region ID'), properties(REGION)));

// ------------------------------------------------------------------ services

const SERVICE = {
  type: text({ nonEmpty: true }),
  name: text({ nonBlank: true, nullable: true }),
  description: text({ max: 65535, nullable: true }),
  enabled: boolean(),
};

/** `POST /v3/services`. */
export const SERVICE_CREATE = envelope('service', object(required('type'), properties(SERVICE)));

/** `PATCH /v3/services/{id}`. */
export const SERVICE_UPDATE = envelope('service', object(minProperties(), sameId('Cannot change the service ID'), properties(SERVICE)));

// ------------------------------------------------------------------ endpoints

/** An endpoint's attributes; the interface's value is checked after the URL and the service, as Keystone does. */
const ENDPOINT = [
  properties({
    interface: text({ max: 8 * 1024 }),
    url: text({ max: 225, pattern: [new RegExp(URL_PATTERN), URL_PATTERN] }),
    service_id: text(),
  }),
  properties({
    interface: text({ max: 8 * 1024, oneOf: INTERFACES }),
    region_id: text({ nullable: true }),
    region: text({ nullable: true }),
    enabled: boolean(),
  }),
] as const;

/** `POST /v3/endpoints`. */
export const ENDPOINT_CREATE = envelope('endpoint', object(required('interface', 'service_id', 'url'), ...ENDPOINT));

/** `PATCH /v3/endpoints/{id}`. */
export const ENDPOINT_UPDATE = envelope('endpoint', object(minProperties(), sameId('Cannot change the endpoint ID'), ...ENDPOINT));

/** An endpoint interface Keystone knows: `public`, `internal` or `admin`. */
export const isInterface = (v: string): v is (typeof INTERFACES)[number] => (INTERFACES as readonly string[]).includes(v);

// ------------------------------------------------------------------ policies

const POLICY = { blob: text({ max: Infinity }), type: text() };

/**
 * `POST /v3/policies` (docs/keystone-catalog-extensions.md, "Policies"): a body that is not a
 * JSON object is refused before the policy decision (check up to `policy`), the member after it;
 * a body without `policy` counts as an empty one. Its messages name no member.
 */
export const POLICY_CREATE = body(object(member('policy', object(properties(POLICY), required('blob', 'type')), { absent: 'empty', at: '' })), { notObject: 'malformed' });

/** `PATCH /v3/policies/{id}`. */
export const POLICY_UPDATE = body(object(member('policy', object(properties(POLICY), minProperties(), sameId('Cannot change policy ID')), { absent: 'empty', at: '' })), { notObject: 'malformed' });

// ------------------------------------------------------------------ endpoint groups

/** An endpoint group's `filters`: the known attributes typed, the keys themselves checked after the policy decision. */
const FILTERS = object(properties({
  interface: text({ max: Infinity, oneOf: INTERFACES }),
  service_id: string({ echo: 'json' }),
  region_id: string({ echo: 'json', nullable: 'last' }),
  enabled: boolean(),
}));

const ENDPOINT_GROUP = properties({
  description: string({ echo: 'json', nullable: 'last' }),
  filters: FILTERS,
  name: text({ nonEmpty: true, pattern: [/\S/, '[\\S]+'] }),
});

/**
 * `POST /v3/OS-EP-FILTER/endpoint_groups` (docs/keystone-catalog-extensions.md, "Endpoint
 * groups"), checked before the policy decision: no other top-level member, attribute types, the
 * required ones, no attribute Keystone does not know.
 */
export const ENDPOINT_GROUP_CREATE = body(object(
  properties({ endpoint_group: object(ENDPOINT_GROUP, required('name', 'filters'), additional()) }),
  additional(),
), { notObject: 'malformed' });

/** `PATCH /v3/OS-EP-FILTER/endpoint_groups/{id}`. */
export const ENDPOINT_GROUP_UPDATE = body(object(
  properties({ endpoint_group: object(ENDPOINT_GROUP, minProperties(), additional()) }),
  required('endpoint_group'),
  additional(),
), { notObject: 'malformed' });
