import { declaredMembers, isJsonObject, validateBody, type BodyViolation } from '@lintel/platform';

/**
 * JSON-RPC 1.0 / 2.0 over HTTP as Edgio's storage API speaks it (docs/edgio.md, "Envelope", "Errors"):
 * protocol failures are JSON-RPC errors; method-level failures are ordinary results.
 */

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
/** Edgio also answers omitted required parameters with this one (docs/edgio.md, "Methods"). */
export const INTERNAL_ERROR = -32603;
export const SERVER_ERROR = -32000;
export const BATCH_ERROR = -32099;

/** Calls one batch may carry: each login costs a bcrypt comparison. */
export const MAX_BATCH = 20;

/** A failure reported in the `error` member of the response. */
export class JsonRpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** Who sent the HTTP request a call came in, for the log lines of its method. */
export interface JsonRpcContext {
  requestId: string;
  remote: string;
}

/**
 * One method: its parameters as a DTO (class-validator decorators; the positional order is the
 * order the DTO declares them), and what it does with them (named).
 */
export interface JsonRpcMethod<P extends object = object> {
  params: new () => P;
  run(params: P, ctx: JsonRpcContext): Promise<unknown>;
}

/** A method that takes no parameters. */
export class NoParams {}

export type JsonRpcId = string | number | null;

/** The response envelope, in the version the request used. */
export function envelope(v2: boolean, id: JsonRpcId, outcome: { result: unknown } | { error: { code: number; message: string } }): Record<string, unknown> {
  if (v2) return 'result' in outcome ? { jsonrpc: '2.0', id, result: outcome.result } : { jsonrpc: '2.0', id, error: outcome.error };
  return 'result' in outcome ? { id, result: outcome.result, error: null } : { id, result: null, error: outcome.error };
}

export const errorEnvelope = (code: number, message: string, id: JsonRpcId = null, v2 = true) => envelope(v2, id, { error: { code, message } });

const validId = (id: unknown): id is JsonRpcId => id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));

/** Edgio's words for a parameter that failed its DTO (docs/edgio.md, "Errors"): the first one, unknown names before the declared parameters. */
function paramsError(method: string): (violations: BodyViolation[]) => JsonRpcError {
  return ([v]) => {
    const name = v!.path[0]!;
    if (v!.rule === 'unknown') return new JsonRpcError(INVALID_PARAMS, `Invalid params: ${method} has no parameter '${name.slice(0, 40)}'`);
    // Edgio answers omitted required parameters with an internal error (docs/edgio.md, "Methods").
    if (v!.rule === 'present') return new JsonRpcError(INTERNAL_ERROR, `Internal error: missing required parameter '${name}'`);
    return new JsonRpcError(INVALID_PARAMS, `Invalid params: '${name}' must be a ${v!.rule.replace(/^is/, '').toLowerCase()}`);
  };
}

/** Named or positional params, normalised to a named object and checked against the method's DTO. */
function normalise<P extends object>(method: JsonRpcMethod<P>, name: string, params: unknown): P {
  let named: Record<string, unknown> = {};
  if (params === undefined || params === null) {
    // Edgio: parameters missing altogether are reported like omitted required ones.
  } else if (Array.isArray(params)) {
    const names = declaredMembers(method.params);
    if (params.length > names.length) throw new JsonRpcError(INVALID_PARAMS, `Invalid params: ${name} takes at most ${names.length} parameters`);
    params.forEach((v, i) => (named[names[i]!] = v));
  } else if (isJsonObject(params)) {
    named = params;
  } else {
    throw new JsonRpcError(INVALID_PARAMS, 'Invalid params: params must be an array or an object');
  }
  return validateBody(method.params, named, paramsError(name), { closed: true });
}

/**
 * Answers one request object, or undefined for a notification. Errors a method throws that are
 * not JsonRpcErrors go to `onError`, which turns them into one (and logs them).
 */
export async function dispatchOne(
  req: unknown,
  methods: ReadonlyMap<string, JsonRpcMethod<any>>,
  onError: (e: unknown, method: string) => JsonRpcError,
  ctx: JsonRpcContext = { requestId: '', remote: '' },
): Promise<Record<string, unknown> | undefined> {
  if (!isJsonObject(req)) return errorEnvelope(INVALID_REQUEST, 'Invalid Request: expected a JSON object');
  const v2 = req.jsonrpc === '2.0';
  const hasId = 'id' in req;
  if (hasId && !validId(req.id)) return errorEnvelope(INVALID_REQUEST, 'Invalid Request: id must be a string, a number or null');
  const id = hasId ? (req.id as JsonRpcId) : null;
  if ('jsonrpc' in req && !v2) return errorEnvelope(INVALID_REQUEST, 'Invalid Request: jsonrpc must be "2.0"', id);
  // 2.0: a request without an id is a notification; 1.0: one whose id is null.
  const notification = v2 ? !hasId : id === null;
  const reply = (outcome: { result: unknown } | { error: { code: number; message: string } }) => (notification ? undefined : envelope(v2, id, outcome));
  if (typeof req.method !== 'string' || !req.method) return envelope(v2, id, { error: { code: INVALID_REQUEST, message: 'Invalid Request: method must be a non-empty string' } });
  const name = req.method;
  // Names beginning with `_` are never callable (docs/edgio.md, "Methods").
  const method = name.startsWith('_') ? undefined : methods.get(name);
  if (!method) return reply({ error: { code: METHOD_NOT_FOUND, message: `Method not found: ${name.slice(0, 64)}` } });
  try {
    const result = await method.run(normalise(method, name, req.params), ctx);
    return reply({ result });
  } catch (e) {
    const err = e instanceof JsonRpcError ? e : onError(e, name);
    return reply({ error: { code: err.code, message: err.message } });
  }
}

/**
 * Answers a request body: one request, or a batch (an array) answered with an array of the
 * non-notification responses, in order. Undefined when nothing is to be sent back.
 */
export async function dispatch(
  body: unknown,
  methods: ReadonlyMap<string, JsonRpcMethod<any>>,
  onError: (e: unknown, method: string) => JsonRpcError,
  ctx: JsonRpcContext = { requestId: '', remote: '' },
): Promise<unknown> {
  // No body at all is no JSON text either.
  if (body === undefined) return errorEnvelope(PARSE_ERROR, 'Parse error: the body is empty');
  if (!Array.isArray(body)) return dispatchOne(body, methods, onError, ctx);
  if (!body.length) return errorEnvelope(INVALID_REQUEST, 'Invalid Request: empty batch');
  if (body.length > MAX_BATCH) return errorEnvelope(BATCH_ERROR, `Batch error: at most ${MAX_BATCH} calls per batch`);
  const out: unknown[] = [];
  // One after the other: a batch must not multiply the password checks running at once.
  for (const req of body) {
    const r = await dispatchOne(req, methods, onError, ctx);
    if (r) out.push(r);
  }
  return out.length ? out : undefined;
}
