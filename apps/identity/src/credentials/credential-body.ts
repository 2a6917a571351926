import { boundedExtra, InvalidInputError, MAX_EXTRA_BYTES, type CredentialPatch, type NewCredential } from '@lintel/domain';
import { describeValue, isJsonObject, type JsonObject } from '@lintel/platform';

type Obj = JsonObject;
const isObj = isJsonObject;
const KNOWN = new Set(['id', 'user_id', 'project_id', 'type', 'blob', 'links']);
/** A blob's bound, in UTF-8 bytes as every resource's extras (docs/security.md, "L6"). */
const MAX_BLOB = MAX_EXTRA_BYTES;

function member(body: unknown): Obj {
  if (!isObj(body) || body.credential === undefined) throw InvalidInputError.missing('credential', 'request body');
  if (!isObj(body.credential)) throw InvalidInputError.field('credential', `${describeValue('credential', body.credential)} is not of type 'object'`);
  return body.credential;
}

function str(o: Obj, key: string, max = 255, nullable = false): string | null | undefined {
  const v = o[key];
  if (v === undefined || (nullable && v === null)) return v as undefined | null;
  if (typeof v !== 'string') throw InvalidInputError.field(`credential/${key}`, `${describeValue(`credential/${key}`, v)} is not of type 'string'`);
  if (!v.length || v.length > max) throw InvalidInputError.field(`credential/${key}`, `the value must be 1 to ${max} characters long`);
  return v;
}

/** The blob, at most {@link MAX_BLOB} bytes of UTF-8 (a character count lets multi-byte text pass at three or four times that). */
function blob(o: Obj): string {
  const v = str(o, 'blob', MAX_BLOB)!;
  if (Buffer.byteLength(v, 'utf8') > MAX_BLOB) throw InvalidInputError.field('credential/blob', `the value must be at most ${MAX_BLOB} bytes long`);
  return v;
}

/** Keystone stores properties it does not know as extras and echoes them back (bounded as every resource's extras). */
function extras(o: Obj): Record<string, unknown> {
  return boundedExtra(Object.fromEntries(Object.entries(o).filter(([k]) => !KNOWN.has(k))));
}

/** A `POST /v3/credentials` body (docs/keystone.md, "Credentials"), schema-checked with Keystone's messages. */
export function parseCreateCredential(body: unknown): Omit<NewCredential, 'issuer'> {
  const c = member(body);
  for (const key of ['blob', 'type', 'user_id']) {
    if (c[key] === undefined) throw InvalidInputError.field('credential', `'${key}' is a required property`);
  }
  const type = str(c, 'type')!;
  if (type.toLowerCase() === 'ec2' && (c.project_id === undefined || c.project_id === null)) {
    throw InvalidInputError.field('credential', "'project_id' is a required property");
  }
  return {
    id: str(c, 'id', 64) ?? undefined,
    userId: str(c, 'user_id', 64)!,
    projectId: str(c, 'project_id', 64, true) ?? null,
    type,
    blob: blob(c),
    extra: extras(c),
  };
}

/** A `PATCH /v3/credentials/{id}` body (docs/keystone.md, "Credentials"): at least one property; `id`, if given, unchanged. */
export function parsePatchCredential(body: unknown, id: string): CredentialPatch {
  const c = member(body);
  if (!Object.keys(c).length) throw InvalidInputError.field('credential', '{} does not have enough properties');
  if (c.id !== undefined && c.id !== id) throw new InvalidInputError('Cannot change credential ID');
  const patch: CredentialPatch = {};
  if (c.user_id !== undefined) patch.userId = str(c, 'user_id', 64)!;
  if (c.project_id !== undefined) patch.projectId = str(c, 'project_id', 64, true) ?? null;
  if (c.type !== undefined) patch.type = str(c, 'type')!;
  if (c.blob !== undefined) patch.blob = blob(c);
  const ex = extras(c);
  if (Object.keys(ex).length) patch.extra = ex;
  return patch;
}
