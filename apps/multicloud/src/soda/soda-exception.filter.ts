import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, isDatabaseUnavailable, KeyOwnerNotFoundError, MalformedBodyError, type ErrorCode } from '@lintel/domain';

/** Errors SODA's gateway words itself (docs/soda.md, "Errors"): the message is the body. */
export class SodaError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  NotFound: 404, InvalidInput: 400, Unauthenticated: 401, Forbidden: 403, Conflict: 409, PayloadTooLarge: 413,
  UnsupportedMediaType: 415, MethodNotAllowed: 405, Unavailable: 503,
};

/** Paths SODA serves, for telling a wrong verb (405) from an unknown path (404). */
const SODA_PATHS = /^\/v1\/[^/]+\/aksks(\/[^/]+(\/download)?)?\/?$/;

/**
 * SODA answers errors as plain text, the message alone (go-restful's WriteError), never JSON:
 * this filter writes exactly that for every failure under /v1.
 */
@Catch()
export class SodaExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Soda');

  catch(err: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const [status, message] = this.describe(err, req);
    reply.status(status).header('Content-Type', 'text/plain; charset=utf-8').send(req.method === 'HEAD' ? undefined : message);
  }

  private describe(err: unknown, req: FastifyRequest): [number, string] {
    if (err instanceof SodaError) {
      if (err.status === 401) this.logger.warn({ request_id: req.id, dialect: 'soda', reason: err.message, remote: req.ip }, 'authentication failed');
      return [err.status, err.message];
    }
    if (err instanceof MalformedBodyError) return [400, 'failed to read request body: invalid JSON'];
    if (err instanceof KeyOwnerNotFoundError) return [404, `user ${err.userId} not found`];
    if (err instanceof DomainError) {
      const status = STATUS[err.code] ?? 500;
      if (status === 401) {
        this.logger.warn({ request_id: req.id, dialect: 'soda', reason: err.reason, remote: req.ip }, 'authentication failed');
        return [401, 'get token failed,Resource not found'];
      }
      if (status === 403) return [403, 'Operation is not permitted'];
      if (status === 415) return [415, '415: Unsupported Media Type'];
      if (status === 503) return [503, 'service unavailable: please try again later'];
      if (status === 500) this.logger.error({ request_id: req.id, dialect: 'soda', stack: err.stack }, 'unexpected error');
      return [status, status === 500 ? 'internal error: unexpected failure' : err.message];
    }
    if (err instanceof HttpException || typeof (err as { statusCode?: unknown })?.statusCode === 'number') {
      const status = err instanceof HttpException ? err.getStatus() : (err as { statusCode: number }).statusCode;
      if (status === 404) return SODA_PATHS.test(req.url.split('?')[0]!) ? [405, '405: Method Not Allowed'] : [404, '404: Page Not Found'];
      if (status === 413) return [413, 'failed to read request body: request body too large'];
      if (status === 415) return [415, '415: Unsupported Media Type'];
      if (status < 500) return [400, `failed to read request body: ${(err as Error).message}`];
    }
    if (isDatabaseUnavailable(err)) {
      this.logger.error({ request_id: req.id, dialect: 'soda', reason: (err as Error).message }, 'database unavailable');
      return [503, 'service unavailable: please try again later'];
    }
    this.logger.error({ request_id: req.id, dialect: 'soda', stack: (err as Error)?.stack }, 'unexpected error');
    return [500, 'internal error: unexpected failure'];
  }
}
