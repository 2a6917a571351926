import { Catch, HttpException, Inject, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUTH_RECEIPT_HEADER, AuthPluginError, AuthReceiptRequiredError } from '@lintel/auth';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { DomainError, isDatabaseUnavailable, MalformedBodyError, TooManyRequestsError, type ErrorCode } from '@lintel/domain';
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
const UNEXPECTED = 'An unexpected error prevented the server from fulfilling your request.';

/** Keystone's 401 for an auth method it does not offer; the body lists the ones it does. */
export class AuthMethodNotSupportedError extends DomainError {
  constructor(readonly methods: string[]) {
    super('Unauthenticated', 'Attempted to authenticate with an unsupported method.', 'unsupported auth method');
  }
}

/**
 * Renders every failure of the identity app as Keystone does: `{"error":{"code","message","title"}}`,
 * `WWW-Authenticate` on 401, no body on HEAD, never a stack trace. The reason behind a 401 goes to
 * the log only.
 */
@Catch()
export class KeystoneExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Keystone');

  constructor(@Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (err instanceof AuthReceiptRequiredError) return this.sendReceipt(err, req, reply);
    const { status, message, extra } = this.describe(err, req);
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
    this.logger.warn({ request_id: req.id, dialect: 'keystone', reason: err.reason, remote: req.ip }, 'authentication incomplete');
    reply.removeHeader('X-Subject-Token');
    reply.status(401).header(AUTH_RECEIPT_HEADER, err.receipt.id).header('Content-Type', 'application/json');
    reply.send(req.method === 'HEAD' ? undefined : JSON.stringify(renderReceipt(err.receipt)));
  }

  private describe(err: unknown, req: FastifyRequest): { status: number; message: string; extra?: object } {
    if (err instanceof DomainError && err.code === 'UnsupportedMediaType') return { status: 400, message: WRONG_CONTENT_TYPE };
    if (err instanceof MalformedBodyError) return { status: 400, message: INVALID_JSON };
    if (err instanceof DomainError) {
      const status = STATUS[err.code];
      if (status === 429) this.logger.warn({ request_id: req.id, dialect: 'keystone', reason: err.reason, remote: req.ip }, 'authentication rate limited');
      if (status === 401) this.logger.warn({ request_id: req.id, dialect: 'keystone', reason: err.reason, remote: req.ip }, 'authentication failed');
      if (status === 503) this.logger.error({ request_id: req.id, dialect: 'keystone', reason: err.reason }, 'service unavailable');
      const extra = err instanceof AuthMethodNotSupportedError ? { identity: { methods: err.methods } } : err instanceof AuthPluginError ? { identity: err.identity } : undefined;
      return { status, message: err.message, extra };
    }
    if (err instanceof HttpException) {
      const status = err.getStatus();
      if (status === 404) return { status, message: 'The resource could not be found.' };
      if (status === 413) return { status, message: 'The request is too large.' };
      if (status === 415) return { status: 400, message: WRONG_CONTENT_TYPE };
      if (status === 400) return { status, message: INVALID_JSON };
      return { status, message: TITLES[status] ?? 'Error' };
    }
    const fastifyStatus = (err as { statusCode?: unknown })?.statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      return { status: fastifyStatus === 415 ? 400 : fastifyStatus, message: fastifyStatus === 413 ? 'The request is too large.' : INVALID_JSON };
    }
    if (isDatabaseUnavailable(err)) {
      this.logger.error({ request_id: req.id, dialect: 'keystone', reason: (err as Error).message }, 'database unavailable');
      return { status: 503, message: 'The service is temporarily unavailable. Please try again later.' };
    }
    this.logger.error({ request_id: req.id, dialect: 'keystone', stack: (err as Error)?.stack }, 'unexpected error');
    return { status: 500, message: UNEXPECTED };
  }
}

