import { boundedExtra, MAX_EXTRA_BYTES, type CredentialPatch, type NewCredential } from '@lintel/domain';
import { envelope, extrasOf, invalid, minProperties, object, properties, required, rule, sameId, text, type Check } from '../request-schema.js';

/** A blob's bound, in UTF-8 bytes as every resource's extras (docs/security.md, "L6"). */
const MAX_BLOB = MAX_EXTRA_BYTES;

const id = () => text({ max: 64, bounds: 'range' });

/** The blob, at most {@link MAX_BLOB} bytes of UTF-8 (a character count lets multi-byte text pass at three or four times that). */
const blob: Check<string> = (v, at) => {
  const s = text({ max: MAX_BLOB, bounds: 'range' })(v, at);
  if (Buffer.byteLength(s, 'utf8') > MAX_BLOB) throw invalid(at, `the value must be at most ${MAX_BLOB} bytes long`);
  return s;
};

/** Keystone requires a project for an ec2 credential. */
const ec2NeedsProject = rule('ec2', (o, at) => {
  if ((o.type as string).toLowerCase() === 'ec2' && (o.project_id === undefined || o.project_id === null)) throw invalid(at, "'project_id' is a required property");
});

/** `POST /v3/credentials` (docs/keystone.md, "Credentials"). */
const CREATE = envelope('credential', object(
  required('blob', 'type', 'user_id'),
  properties({ type: text({ bounds: 'range' }) }),
  ec2NeedsProject,
  properties({ id: id(), user_id: id(), project_id: text({ max: 64, nullable: true, bounds: 'range' }), blob }),
));

/** `PATCH /v3/credentials/{id}`: at least one property; `id`, if given, unchanged. */
const UPDATE = envelope('credential', object(
  minProperties(),
  sameId('Cannot change credential ID'),
  properties({ user_id: id(), project_id: text({ max: 64, nullable: true, bounds: 'range' }), type: text({ bounds: 'range' }), blob }),
));

/** Keystone stores properties it does not know as extras and echoes them back (bounded as every resource's extras). */
const extras = (c: Record<string, unknown>) => boundedExtra(extrasOf(c, CREATE));

export function parseCreateCredential(body: unknown): Omit<NewCredential, 'issuer'> {
  const c = CREATE.check(body);
  return { id: c.id, userId: c.user_id, projectId: c.project_id ?? null, type: c.type, blob: c.blob, extra: extras(c) };
}

export function parsePatchCredential(body: unknown, id: string): CredentialPatch {
  const c = UPDATE.check(body, { id });
  const patch: CredentialPatch = {};
  if (c.user_id !== undefined) patch.userId = c.user_id;
  if (c.project_id !== undefined) patch.projectId = c.project_id;
  if (c.type !== undefined) patch.type = c.type;
  if (c.blob !== undefined) patch.blob = c.blob;
  const ex = extras(c);
  if (Object.keys(ex).length) patch.extra = ex;
  return patch;
}
