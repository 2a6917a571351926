import { InvalidInputError, pyRepr } from '@lintel/domain';
import {
  additional, array, body, maxOneProperty, member, minProperties, object, properties, rule, sameId, string,
} from '../request-schema.js';

/** The bodies of OS-OAUTH1 (docs/keystone-oauth1.md), one schema each, in the order Keystone checks them. */

const DESCRIPTION = properties({ description: string({ nullable: 'last' }) });

/**
 * A consumer as Keystone reads it: no body, or no `consumer`, is an empty one; `description` is
 * text or null (named at the top in messages); `id`, `secret` and `links` are never stored as
 * extras.
 */
const consumerBody = (consumer: ReturnType<typeof object>) =>
  body(object(member('consumer', consumer, { absent: 'empty', nullIsAbsent: true })), { empty: 'nullish', notObject: 'malformed' });

/** `POST /v3/OS-OAUTH1/consumers`. */
export const CONSUMER_CREATE = consumerBody(object({ echo: 'python', children: '' }, DESCRIPTION));

/** `PATCH /v3/OS-OAUTH1/consumers/{id}`: at least one attribute, never `secret`, the same id. */
export const CONSUMER_UPDATE = consumerBody(object({ echo: 'python', children: '' },
  DESCRIPTION,
  minProperties(),
  rule('secret', (c) => {
    // Keystone quotes the member; the secret offered is not echoed back.
    if (c.secret !== undefined) throw new InvalidInputError(`${pyRepr({ ...c, secret: '***' })} should not be valid under {'required': ['secret']}`);
  }),
  sameId('Cannot change ID'),
));

const ID = /^[a-zA-Z0-9-]+$/;

/** A role of an authorization: by `id` or by `name`, exactly one of the two. */
const ROLE = object({ echo: 'python' }, additional(), minProperties(), maxOneProperty(), properties({
  id: string({ min: 1, max: 64, pattern: [ID, '^[a-zA-Z0-9-]+$'], utf16: true }),
  name: string({ min: 1, max: 255, pattern: [/\S/, '[\\\\S]+'], utf16: true }),
}));

/** `PUT /v3/OS-OAUTH1/authorize/{request_token_id}`: `{"roles": [...]}`, none when absent; messages name items from 0. */
export const AUTHORIZE = body(object(member('roles', array({ items: ROLE }), { absent: 'emptyList', nullIsAbsent: true, at: '' })), { empty: 'nullish', notObject: 'malformed' });
