import { Catch } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KeyOwnerNotFoundError, MalformedBodyError, type ErrorCode } from '@lintel/domain';
import { DialectError, DialectExceptionFilter, type ClassifiedError } from '@lintel/platform';

/** Errors SODA's gateway words itself (docs/soda.md, "Errors"): the message is the body. */
export class SodaError extends DialectError {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  NotFound: 404, InvalidInput: 400, Unauthenticated: 401, Forbidden: 403, Conflict: 409, PayloadTooLarge: 413,
  UnsupportedMediaType: 415, MethodNotAllowed: 405,
};

const UNEXPECTED: [number, string] = [500, 'internal error: unexpected failure'];

/** Paths SODA serves, for telling a wrong verb (405) from an unknown path (404). */
const SODA_PATHS = /^\/v1\/[^/]+\/aksks(\/[^/]+(\/download)?)?\/?$/;

/**
 * SODA answers errors as plain text, the message alone (go-restful's WriteError), never JSON:
 * this filter writes exactly that for every failure under /v1 (docs/errors.md).
 */
@Catch()
export class SodaExceptionFilter extends DialectExceptionFilter {
  constructor() {
    super('soda', 'Soda');
  }

  protected render(err: unknown, c: ClassifiedError, req: FastifyRequest, reply: FastifyReply): void {
    const [status, message] = this.answer(err, c, req);
    reply.status(status).header('Content-Type', 'text/plain; charset=utf-8').send(req.method === 'HEAD' ? undefined : message);
  }

  private answer(err: unknown, c: ClassifiedError, req: FastifyRequest): [number, string] {
    if (err instanceof SodaError) {
      if (err.status === 401) this.authenticationFailed(req, err.message);
      return [err.status, err.message];
    }
    if (c.kind === 'unavailable') return [503, 'service unavailable: please try again later'];
    if (c.kind === 'unexpected') return UNEXPECTED;
    if (c.kind === 'framework') {
      if (c.status === 404) return SODA_PATHS.test(req.url.split('?')[0]!) ? [405, '405: Method Not Allowed'] : [404, '404: Page Not Found'];
      if (c.status === 413) return [413, 'failed to read request body: request body too large'];
      if (c.status === 415) return [415, '415: Unsupported Media Type'];
      return [400, `failed to read request body: ${c.message}`];
    }
    if (c.kind === 'dialect') {
      this.unexpected(err, req);
      return UNEXPECTED;
    }
    const e = c.error;
    if (e instanceof MalformedBodyError) return [400, 'failed to read request body: invalid JSON'];
    if (e instanceof KeyOwnerNotFoundError) return [404, `user ${e.userId} not found`];
    const status = STATUS[e.code];
    if (status === 401) {
      this.authenticationFailed(req, e.reason);
      return [401, 'get token failed,Resource not found'];
    }
    if (status === 403) return [403, 'Operation is not permitted'];
    if (status === 415) return [415, '415: Unsupported Media Type'];
    if (status === undefined) {
      this.unexpected(err, req);
      return UNEXPECTED;
    }
    return [status, e.message];
  }
}
