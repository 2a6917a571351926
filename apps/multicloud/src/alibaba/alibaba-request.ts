import { applyDecorators } from '@nestjs/common';
import { IsIn, IsNotEmpty, ValidateIf } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { Chars, validateBody, type BodyViolation } from '@lintel/platform';
import { AlibabaError, FORM_ONLY, invalidParameter, missingParameter, type AlibabaFormat } from './alibaba-exception.filter.js';
import { rawBodyOf } from './alibaba-raw-body.js';

/** The API version this endpoint speaks (docs/alibaba.md, "Requests and answers"). */
export const IMS_VERSION = '2019-08-15';

/** The IMS AccessKey operations (docs/alibaba.md, "Requests and answers"). */
export const ACTIONS = ['CreateAccessKey', 'ListAccessKeys', 'UpdateAccessKey', 'DeleteAccessKey', 'GetAccessKeyLastUsed'] as const;
export type AlibabaAction = (typeof ACTIONS)[number];

const MAX_PARAMS = 64;
const MAX_KEY = 128;
const MAX_VALUE = 2048;

/** A request at `/` with query and form body merged (docs/alibaba.md, "Requests and answers"), before authentication. */
export interface AlibabaCall {
  /** V1 (RPC HMAC-SHA1 parameters) or V3 (ACS3-HMAC-SHA256 Authorization header). */
  scheme: 'v1' | 'v3';
  /** Every parameter, query and form body merged, decoded. */
  params: Record<string, string>;
  /** The query string's parameters alone (what a V3 signature covers besides the body hash). */
  query: Record<string, string>;
  action: AlibabaAction;
  format: AlibabaFormat;
}

function collect(text: string, into: Record<string, string>, where: string): void {
  for (const [k, v] of new URLSearchParams(text)) {
    if (!k) continue;
    if (k.length > MAX_KEY || v.length > MAX_VALUE) throw invalidParameter(`A parameter of the ${where} is too long.`);
    if (Object.hasOwn(into, k)) throw invalidParameter(`The parameter "${k.slice(0, 64)}" is given more than once.`);
    into[k] = v;
    if (Object.keys(into).length > MAX_PARAMS) throw invalidParameter(`The request has more than ${MAX_PARAMS} parameters.`);
  }
}

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

/** The answer format: `Format` compared case-insensitively (openapi-client sends `json`), JSON by default. */
export function formatFrom(params: Record<string, string>): AlibabaFormat | undefined {
  const f = params.Format;
  if (f === undefined || f === '') return 'JSON';
  const up = f.toUpperCase();
  return up === 'JSON' || up === 'XML' ? up : undefined;
}

/** Reads the merged parameters of a request; refuses duplicates, conflicts, non-form bodies and oversize values. */
export function readParams(req: FastifyRequest): { params: Record<string, string>; query: Record<string, string> } {
  const url = req.raw.url ?? req.url;
  const q = url.indexOf('?');
  const query: Record<string, string> = {};
  if (q >= 0) collect(url.slice(q + 1), query, 'query string');
  const body: Record<string, string> = {};
  const raw = rawBodyOf(req);
  if (raw.length && raw.toString('utf8').trim()) {
    const type = header(req, 'content-type');
    if (!type || !/^application\/x-www-form-urlencoded\b/i.test(type)) throw invalidParameter(FORM_ONLY);
    collect(raw.toString('utf8'), body, 'body');
  }
  const params: Record<string, string> = { ...query };
  for (const [k, v] of Object.entries(body)) {
    if (Object.hasOwn(params, k) && params[k] !== v) throw invalidParameter(`The parameter "${k.slice(0, 64)}" differs between the query string and the body.`);
    params[k] = v;
  }
  if (Object.keys(params).length > MAX_PARAMS) throw invalidParameter(`The request has more than ${MAX_PARAMS} parameters.`);
  return { params, query };
}

/**
 * Which operation a request asks for, in which scheme: V3 names it in `x-acs-action` /
 * `x-acs-version`, V1 in the `Action` / `Version` parameters. Unknown action → 404
 * InvalidAction.NotFound, other version → 400 InvalidVersion.
 */
export function classify(req: FastifyRequest, params: Record<string, string>, query: Record<string, string>, format: AlibabaFormat): AlibabaCall {
  const auth = header(req, 'authorization');
  const scheme = auth !== undefined && /^\s*ACS3-/i.test(auth) ? 'v3' : 'v1';
  let action = params.Action;
  let version = params.Version;
  if (scheme === 'v3') {
    const a = header(req, 'x-acs-action');
    const v = header(req, 'x-acs-version');
    if (a === undefined) throw missingParameter('x-acs-action');
    if (v === undefined) throw missingParameter('x-acs-version');
    if (action !== undefined && action !== a) throw invalidParameter('The Action parameter differs from the x-acs-action header.');
    if (version !== undefined && version !== v) throw invalidParameter('The Version parameter differs from the x-acs-version header.');
    [action, version] = [a, v];
  }
  if (!action) throw missingParameter('Action');
  if (!version) throw missingParameter('Version');
  if (!(ACTIONS as readonly string[]).includes(action)) throw new AlibabaError(404, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method.`);
  if (version !== IMS_VERSION) throw new AlibabaError(400, 'InvalidVersion', `Specified parameter Version is not valid: use ${IMS_VERSION}.`);
  return { scheme, params, query, action: action as AlibabaAction, format };
}

/** The operation's own parameters, checked before anything is looked up or written. */
export interface OperationInput {
  userPrincipalName?: string;
  userAccessKeyId?: string;
  status?: 'Active' | 'Inactive';
}

/** `UserPrincipalName`: optional (empty is absent: the caller), at most 255 characters. */
const Principal = () => applyDecorators(ValidateIf((_o: object, v: unknown) => v !== undefined && v !== ''), Chars(1, 255));

/** The parameters of each IMS operation, besides the protocol's (docs/alibaba.md, "Requests and answers"), in the order IMS checks them. */
class PrincipalParams {
  @Principal() UserPrincipalName?: string;
}

class KeyParams {
  @Principal() UserPrincipalName?: string;
  @IsNotEmpty() UserAccessKeyId!: string;
}

class UpdateParams {
  @Principal() UserPrincipalName?: string;
  @IsNotEmpty() UserAccessKeyId!: string;
  @IsNotEmpty() @IsIn(['Active', 'Inactive']) Status!: 'Active' | 'Inactive';
}

const PARAMS: Record<AlibabaAction, new () => object> = {
  CreateAccessKey: PrincipalParams, ListAccessKeys: PrincipalParams, UpdateAccessKey: UpdateParams, DeleteAccessKey: KeyParams, GetAccessKeyLastUsed: KeyParams,
};

/** IMS's words for the first parameter that failed (docs/alibaba.md, "Errors"). */
function paramsError([v]: BodyViolation[]): AlibabaError {
  const name = v!.path[0]!;
  if (v!.rule === 'isNotEmpty') return missingParameter(name);
  if (v!.rule === 'chars') return invalidParameter(`The parameter ${name} is too long.`, `InvalidParameter.${name}`);
  return invalidParameter(`The parameter ${name} must be ${(v!.constraints[0] as string[]).join(' or ')}.`, `InvalidParameter.${name}`);
}

export function operationInput(call: AlibabaCall): OperationInput {
  const p = validateBody(PARAMS[call.action], call.params, paramsError) as Partial<UpdateParams>;
  const out: OperationInput = {};
  if (p.UserPrincipalName) out.userPrincipalName = p.UserPrincipalName;
  if (p.UserAccessKeyId !== undefined && call.action !== 'CreateAccessKey' && call.action !== 'ListAccessKeys') out.userAccessKeyId = p.UserAccessKeyId;
  if (call.action === 'UpdateAccessKey') out.status = p.Status;
  return out;
}
