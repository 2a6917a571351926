import { Catch } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  CredentialLimitError, ForbiddenError, KeyLimitError, KeyNotFoundError, MalformedBodyError, NoHomeProjectError, TooManyRequestsError, type DomainError,
} from '@lintel/domain';
import { DialectError, DialectExceptionFilter, type ClassifiedError } from '@lintel/platform';

/** Outscale's error body entry (docs/outscale.md, "Errors"): `Code` is a string. */
export class OutscaleError extends DialectError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly type: string,
    readonly details: string,
    /** For the log only (why authentication failed, ...). */
    readonly reason?: string,
  ) {
    super(details);
  }
}

/** The generic 401 every authentication failure gets; the real reason goes to the log. */
export const accessDenied = (reason: string) => new OutscaleError(401, '1', 'AccessDenied', 'Authentication failed: the request signature or the credentials are not valid.', reason);
export const invalidType = (details: string) => new OutscaleError(400, '4108', 'InvalidParameterValue', details);
export const invalidParameter = (details: string) => new OutscaleError(400, '4045', 'InvalidParameter', details);
export const invalidValue = (details: string) => new OutscaleError(400, '4047', 'InvalidParameterValue', details);
export const missingParameter = (name: string) => new OutscaleError(400, '7000', 'MissingParameter', `Parameter ${name} is required.`);

/** The caller may not manage these keys, or named a user that does not exist (the same answer, so users cannot be enumerated). */
export const notAllowed = () => new OutscaleError(401, '4', 'AccessDenied', 'You are not allowed to manage the access keys of this user.');
/** The request id of a response: Lintel's request id without its `req-` prefix (a UUID). */
export const requestIdOf = (req: FastifyRequest) => String(req.id).replace(/^req-/, '');

/** Paths of the Outscale API: `POST /api/v1/{Action}`. */
export const OUTSCALE_PREFIX = '/api/';

/**
 * Every failure under /api answered as Outscale does:
 * `{"Errors":[{"Type","Details","Code"}],"ResponseContext":{"RequestId"}}` (docs/errors.md).
 */
@Catch()
export class OutscaleExceptionFilter extends DialectExceptionFilter {
  constructor() {
    super('outscale', 'Outscale');
  }

  protected render(err: unknown, c: ClassifiedError, req: FastifyRequest, reply: FastifyReply): void {
    const e = this.answer(err, c, req);
    if (e.status === 401) this.authenticationFailed(req, e.reason);
    if (e.status === 405) reply.header('Allow', 'POST');
    if (err instanceof TooManyRequestsError) {
      reply.header('Retry-After', String(err.retryAfter));
      this.authenticationFailed(req, err.reason, 'authentication rate limited');
    }
    reply.status(e.status).header('Content-Type', 'application/json').send(JSON.stringify({
      Errors: [{ Type: e.type, Details: e.details, Code: e.code }],
      ResponseContext: { RequestId: requestIdOf(req) },
    }));
  }

  private answer(err: unknown, c: ClassifiedError, req: FastifyRequest): OutscaleError {
    if (err instanceof OutscaleError) return err;
    if (c.kind === 'unavailable') return new OutscaleError(503, '0', 'DefaultError', 'The service is temporarily unavailable. Please try again later.');
    if (c.kind === 'framework') {
      if (c.status === 404) {
        return /^\/api\/v1\/[A-Za-z]+$/.test(req.url.split('?')[0]!) && req.method !== 'POST'
          ? new OutscaleError(405, '2', 'AccessDenied', 'The HTTP method is not allowed: use POST.')
          : new OutscaleError(400, '0', 'DefaultError', 'The action is not valid for this web service.');
      }
      if (c.status === 413) return new OutscaleError(413, '4108', 'InvalidParameterValue', 'The request body is larger than 65536 bytes.');
      return invalidType('The request body could not be read.');
    }
    const known = c.kind === 'domain' ? this.domainAnswer(c.error) : undefined;
    if (known) return known;
    if (c.kind !== 'unexpected') this.unexpected(err, req);
    return new OutscaleError(500, '0', 'DefaultError', 'Internal error.');
  }

  /** The core's errors Outscale has words for (docs/access-keys.md); undefined for the others. */
  private domainAnswer(err: DomainError): OutscaleError | undefined {
    if (err instanceof MalformedBodyError) return invalidType('The request body is not valid JSON.');
    if (err instanceof KeyNotFoundError) return new OutscaleError(400, '4000', 'InvalidParameterValue', `The AccessKeyId '${err.access.slice(0, 64)}' does not exist.`);
    if (err instanceof KeyLimitError || err instanceof CredentialLimitError) return new OutscaleError(400, '10005', 'TooManyResources', 'You have reached the limit of access keys for this user (QuotaExceded).');
    if (err instanceof ForbiddenError) return notAllowed();
    if (err instanceof NoHomeProjectError) return invalidValue('The user holds no role on a project that could own access keys; set the user\'s default project.');
    // Throttled (docs/security.md, "M4"): 429, code 24.
    if (err instanceof TooManyRequestsError) return new OutscaleError(429, '24', 'AccessDenied', err.message);
    if (err.code === 'UnsupportedMediaType') return invalidType('The request body must be JSON (Content-Type: application/json).');
    if (err.code === 'Unauthenticated') return accessDenied(err.reason ?? err.message);
    if (err.code === 'InvalidInput') return invalidValue(err.message);
    return undefined;
  }
}
