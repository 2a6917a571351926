import { applyDecorators } from '@nestjs/common';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsString } from 'class-validator';
import { InvalidExpiryError, parseKeyExpiry } from '@lintel/domain';
import { Chars, IfPresent, Nested, NotWith, Present, validateBody, type BodyViolation } from '@lintel/platform';
import { invalidParameter, invalidType, invalidValue, missingParameter, OutscaleError } from './outscale-exception.filter.js';

/**
 * Wire requests of the AccessKey actions (docs/outscale.md, "Requests and answers"), one DTO per
 * action, closed as the OAPI schema is (`additionalProperties: false`): unknown member → 4045,
 * wrong JSON type → 4108, bad value → 4047, missing required member → 7000.
 */

const MAX_STRING = 255;
const MAX_FILTER_VALUES = 100;
const STATES = ['ACTIVE', 'INACTIVE'];

const Flag = () => applyDecorators(IfPresent(), IsBoolean());
const Text = () => applyDecorators(IfPresent(), IsString(), Chars(1, MAX_STRING));
const RequiredText = () => applyDecorators(Present(), IsString(), Chars(1, MAX_STRING));
const StringList = () => applyDecorators(IfPresent(), IsArray(), IsString({ each: true }), ArrayMaxSize(MAX_FILTER_VALUES));

export class AccessKeyFilters {
  @StringList() AccessKeyIds?: string[];
  @StringList() @IsIn(STATES, { each: true }) States?: Array<'ACTIVE' | 'INACTIVE'>;
}

/** Every member any AccessKey action takes; each action's DTO declares its own. */
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

class CreateAccessKey implements AccessKeyRequest {
  @Flag() DryRun?: boolean;
  @Text() ExpirationDate?: string;
  @Text() Tag?: string;
  @Text() UserName?: string;
}

class ReadAccessKeys implements AccessKeyRequest {
  @Flag() DryRun?: boolean;
  @IfPresent() @Nested(() => AccessKeyFilters) Filters?: AccessKeyFilters;
  @Text() Tag?: string;
  @Text() UserName?: string;
}

class UpdateAccessKey implements AccessKeyRequest {
  @RequiredText() AccessKeyId!: string;
  @Text() @IsIn(STATES) State?: 'ACTIVE' | 'INACTIVE';
  @Text() ExpirationDate?: string;
  @Flag() @NotWith('ExpirationDate') ClearExpirationDate?: boolean;
  @Text() Tag?: string;
  @Flag() @NotWith('Tag') ClearTag?: boolean;
  @Text() UserName?: string;
  @Flag() DryRun?: boolean;
}

class DeleteAccessKey implements AccessKeyRequest {
  @RequiredText() AccessKeyId!: string;
  @Text() UserName?: string;
  @Flag() DryRun?: boolean;
}

class ReadSecretAccessKey extends DeleteAccessKey {}

export const ACTIONS: Record<string, new () => AccessKeyRequest> = {
  CreateAccessKey, ReadAccessKeys, UpdateAccessKey, DeleteAccessKey, ReadSecretAccessKey,
};

/**
 * Outscale's words for what failed, and which failure it reports first: the first offending
 * member in the order the client sent them (their type, their length, the members inside
 * `Filters`), then the first missing required member, then the rules on values (`State`, and a
 * value given with its clearing flag) in the order the DTO declares them.
 */
function outscaleError(v: BodyViolation): OutscaleError {
  const name = v.path.join('.');
  const key = (v.path.at(-1) ?? '').slice(0, 40);
  switch (v.rule) {
    case 'isJsonObject': return invalidType(v.path.length ? `${name} must be an object.` : 'The request body must be a JSON object.');
    case 'unknown': return invalidParameter(`Unknown parameter: ${[...v.path.slice(0, -1), key].join('.')}.`);
    case 'present': return missingParameter(name);
    case 'isBoolean': return invalidType(`${name} must be a boolean.`);
    case 'isString': return invalidType(v.path.length > 1 ? `${name} must be an array of strings.` : `${name} must be a string.`);
    case 'isArray': return invalidType(`${name} must be an array of strings.`);
    case 'chars': return invalidValue(`${name} must hold 1 to ${MAX_STRING} characters.`);
    case 'arrayMaxSize': return invalidValue(`${name} may hold at most ${MAX_FILTER_VALUES} values.`);
    case 'notWith': return invalidValue(`${v.constraints[0]} and ${name} cannot be used together.`);
    default: { // isIn
      if (!Array.isArray(v.value)) return invalidValue(`${name} must be ACTIVE or INACTIVE.`);
      const bad = String(v.value.find((x) => !STATES.includes(x as string)));
      return invalidValue(`${name}: '${bad.slice(0, 20)}' is not ACTIVE or INACTIVE.`);
    }
  }
}

function renderViolations(violations: BodyViolation[], body: Record<string, unknown>): OutscaleError {
  const position = (v: BodyViolation): number[] => {
    if (v.path.length > 1 || !['present', 'isIn', 'notWith'].includes(v.rule)) {
      const outer = Object.keys(body).indexOf(v.path[0]!);
      const inner = body[v.path[0]!];
      return [0, outer, v.path.length > 1 ? Object.keys(inner as object).indexOf(v.path[1]!) : 0];
    }
    return [v.rule === 'present' ? 1 : 2, violations.indexOf(v), 0];
  };
  const first = [...violations].sort((a, b) => {
    const [pa, pb] = [position(a), position(b)];
    return pa[0]! - pb[0]! || pa[1]! - pb[1]! || pa[2]! - pb[2]!;
  })[0]!;
  return outscaleError(first);
}

/** Checks a body against its action's DTO and returns it typed (no body is an empty one). */
export function parseRequest(action: string, body: unknown): AccessKeyRequest {
  return validateBody(ACTIONS[action]!, body ?? {}, renderViolations, { closed: true });
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
