import { InvalidExpiryError, parseKeyExpiry } from '@lintel/domain';
import { isJsonObject, type JsonObject } from '@lintel/platform';
import { invalidParameter, invalidType, invalidValue, missingParameter } from './outscale-exception.filter.js';

/**
 * Wire requests of the AccessKey actions (docs/outscale.md, "Requests and answers"), checked as the OAPI schema
 * does (`additionalProperties: false`): unknown member → 4045, wrong JSON type → 4108, bad value
 * → 4047, missing required member → 7000.
 */

type Kind = 'boolean' | 'string' | 'filters';
type Shape = Record<string, { kind: Kind; required?: boolean }>;

export interface AccessKeyFilters {
  AccessKeyIds?: string[];
  States?: Array<'ACTIVE' | 'INACTIVE'>;
}

export interface AccessKeyRequest {
  DryRun?: boolean;
  UserName?: string;
  AccessKeyId?: string;
  ExpirationDate?: string;
  ClearExpirationDate?: boolean;
  Tag?: string;
  ClearTag?: boolean;
  State?: 'ACTIVE' | 'INACTIVE';
  Filters?: AccessKeyFilters;
}

const b = { kind: 'boolean' } as const;
const s = { kind: 'string' } as const;

export const SHAPES: Record<string, Shape> = {
  CreateAccessKey: { DryRun: b, ExpirationDate: s, Tag: s, UserName: s },
  ReadAccessKeys: { DryRun: b, Filters: { kind: 'filters' }, Tag: s, UserName: s },
  UpdateAccessKey: { AccessKeyId: { kind: 'string', required: true }, State: s, ExpirationDate: s, ClearExpirationDate: b, Tag: s, ClearTag: b, UserName: s, DryRun: b },
  DeleteAccessKey: { AccessKeyId: { kind: 'string', required: true }, UserName: s, DryRun: b },
  ReadSecretAccessKey: { AccessKeyId: { kind: 'string', required: true }, UserName: s, DryRun: b },
};

const MAX_STRING = 255;
const STATES = ['ACTIVE', 'INACTIVE'];

function stringList(v: unknown, name: string, max = 100): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalidType(`${name} must be an array of strings.`);
  if (v.length > max) throw invalidValue(`${name} may hold at most ${max} values.`);
  return v as string[];
}

function filters(v: unknown): AccessKeyFilters {
  if (!isJsonObject(v)) throw invalidType('Filters must be an object.');
  const out: AccessKeyFilters = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === 'AccessKeyIds') out.AccessKeyIds = stringList(val, 'Filters.AccessKeyIds');
    else if (k === 'States') {
      const states = stringList(val, 'Filters.States');
      const bad = states.find((x) => !STATES.includes(x));
      if (bad !== undefined) throw invalidValue(`Filters.States: '${bad.slice(0, 20)}' is not ACTIVE or INACTIVE.`);
      out.States = states as AccessKeyFilters['States'];
    } else throw invalidParameter(`Unknown parameter: Filters.${k.slice(0, 40)}.`);
  }
  return out;
}

/** Checks a body against an action's shape and returns it typed. */
export function parseRequest(action: string, body: unknown): AccessKeyRequest {
  const shape = SHAPES[action]!;
  if (body === undefined || body === null) body = {};
  if (!isJsonObject(body)) throw invalidType('The request body must be a JSON object.');
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(body)) {
    const spec = shape[k];
    if (!spec) throw invalidParameter(`Unknown parameter: ${k.slice(0, 40)}.`);
    if (spec.kind === 'filters') out[k] = filters(v);
    else if (typeof v !== spec.kind) throw invalidType(`${k} must be a ${spec.kind}.`);
    else if (spec.kind === 'string' && ((v as string).length === 0 || (v as string).length > MAX_STRING)) throw invalidValue(`${k} must hold 1 to ${MAX_STRING} characters.`);
    else out[k] = v;
  }
  for (const [k, spec] of Object.entries(shape)) if (spec.required && out[k] === undefined) throw missingParameter(k);
  if (out.State !== undefined && !STATES.includes(out.State as string)) throw invalidValue('State must be ACTIVE or INACTIVE.');
  if (out.ExpirationDate !== undefined && out.ClearExpirationDate === true) throw invalidValue('ExpirationDate and ClearExpirationDate cannot be used together.');
  if (out.Tag !== undefined && out.ClearTag === true) throw invalidValue('Tag and ClearTag cannot be used together.');
  return out as AccessKeyRequest;
}

/**
 * `ExpirationDate` (docs/outscale.md, "Requests and answers"): the access-key core's one parser
 * (an ISO 8601 date, midnight UTC, or date-time, UTC unless an offset is given), which must lie in
 * the future; 4047 otherwise.
 */
export function parseExpiration(v: string, now = Date.now()): Date {
  try {
    return parseKeyExpiry(v, { now });
  } catch (e) {
    if (e instanceof InvalidExpiryError) throw invalidValue(e.problem === 'past' ? 'ExpirationDate must be in the future.' : `ExpirationDate ${e.message}.`);
    throw e;
  }
}
