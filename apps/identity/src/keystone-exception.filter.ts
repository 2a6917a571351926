import { Catch, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUTH_RECEIPT_HEADER, AuthPluginError, AuthReceiptRequiredError } from '@lintel/auth';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { DomainError, MalformedBodyError, TooManyRequestsError, type ErrorCode } from '@lintel/domain';
import { DialectExceptionFilter, type ClassifiedError } from '@lintel/platform';
import { renderReceipt } from './auth/receipt.render.js';
import { baseUrl } from './base-url.js';

const STATUS: Record<ErrorCode, number> = {
  NotFound: 404, Conflict: 409, InvalidInput: 400, Unauthenticated: 401, Forbidden: 403, PayloadTooLarge: 413,
  UnsupportedMediaType: 415, MethodNotAllowed: 405, Unavailable: 503, TooManyRequests: 429, Internal: 500,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Request Entity Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 500: 'Internal Server Error',
  501: 'Not Implemented', 503: 'Service Unavailable',
};

const INVALID_JSON = 'Expecting to find valid JSON in request body. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';
const WRONG_CONTENT_TYPE = 'Expecting to find application/json in Content-Type header. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';
const TOO_LARGE = 'The request is too large.';
const UNAVAILABLE = 'The service is temporarily unavailable. Please try again later.';
const UNEXPECTED = 'An unexpected error prevented the server from fulfilling your request.';

/** Keystone's 401 for an auth method it does not offer; the body lists the ones it does. */
export class AuthMethodNotSupportedError extends DomainError {
  constructor(readonly methods: string[]) {
    super('Unauthenticated', 'Attempted to authenticate with an unsupported method.', 'unsupported auth method');
  }
}

type Answer = { status: number; message: string; extra?: object };

/** A framework status as Keystone words it (an unknown route, a body over the limit, a content type, a body not read). */
function frameworkAnswer(status: number): Answer {
  if (status === 404) return { status, message: 'The resource could not be found.' };
  if (status === 413) return { status, message: TOO_LARGE };
  if (status === 415) return { status: 400, message: WRONG_CONTENT_TYPE };
  if (status === 400) return { status, message: INVALID_JSON };
  return { status, message: TITLES[status] ?? 'Error' };
}

/**
 * Renders every failure of the identity app as Keystone does: `{"error":{"code","message","title"}}`,
 * `WWW-Authenticate` on 401, no body on HEAD, never a stack trace (docs/errors.md). The reason
 * behind a 401 goes to the log only.
 */
@Catch()
export class KeystoneExceptionFilter extends DialectExceptionFilter {
  constructor(@Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig) {
    super('keystone', 'Keystone');
  }

  protected render(err: unknown, c: ClassifiedError, req: FastifyRequest, reply: FastifyReply): void {
    if (err instanceof AuthReceiptRequiredError) return this.sendReceipt(err, req, reply);
    const { status, message, extra } = this.answer(c, req);
    const body: Record<string, unknown> = { code: status, message, title: TITLES[status] ?? 'Error', ...extra };
    if (err instanceof TooManyRequestsError) reply.header('Retry-After', String(err.retryAfter));
    if (status === 401) reply.header('WWW-Authenticate', `Keystone uri="${baseUrl(req, this.cfg)}/v3"`);
    // A failed request never hands out a token, even one minted before the failure.
    reply.removeHeader('X-Subject-Token');
    reply.status(status).header('Content-Type', 'application/json');
    reply.send(req.method === 'HEAD' ? undefined : JSON.stringify({ error: body }));
  }

  /**
   * A login short of the user's multi-factor rules: Keystone answers 401 with the receipt as the
   * whole body and in `Openstack-Auth-Receipt`, without `WWW-Authenticate` (docs/keystone-totp-mfa.md).
   */
  private sendReceipt(err: AuthReceiptRequiredError, req: FastifyRequest, reply: FastifyReply): void {
    this.authenticationFailed(req, err.reason, 'authentication incomplete');
    reply.removeHeader('X-Subject-Token');
    reply.status(401).header(AUTH_RECEIPT_HEADER, err.receipt.id).header('Content-Type', 'application/json');
    reply.send(req.method === 'HEAD' ? undefined : JSON.stringify(renderReceipt(err.receipt)));
  }

  private answer(c: ClassifiedError, req: FastifyRequest): Answer {
    if (c.kind === 'framework') return frameworkAnswer(c.status);
    if (c.kind === 'unavailable') return { status: 503, message: UNAVAILABLE };
    if (c.kind === 'unexpected') return { status: 500, message: UNEXPECTED };
    if (c.kind === 'dialect') {
      this.unexpected(c.error, req);
      return { status: 500, message: UNEXPECTED };
    }
    const err = c.error;
    if (err.code === 'UnsupportedMediaType') return { status: 400, message: WRONG_CONTENT_TYPE };
    if (err instanceof MalformedBodyError) return { status: 400, message: INVALID_JSON };
    const status = STATUS[err.code];
    if (status === 429) this.authenticationFailed(req, err.reason, 'authentication rate limited');
    if (status === 401) this.authenticationFailed(req, err.reason);
    const extra = err instanceof AuthMethodNotSupportedError ? { identity: { methods: err.methods } } : err instanceof AuthPluginError ? { identity: err.identity } : undefined;
    return { status, message: err.message, extra };
  }
}
