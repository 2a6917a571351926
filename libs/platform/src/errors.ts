import { HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, isDatabaseUnavailable } from '@lintel/domain';

/**
 * An error a dialect raised in its own terms (its status, code and text: SODA's, Outscale's,
 * IMS's), answered as it is by that dialect's filter and never logged as unexpected.
 */
export abstract class DialectError extends Error {}

/**
 * Every way a request can fail, sorted once for all dialects (docs/errors.md); each dialect's
 * filter then words the kind in its own wire format.
 *
 * - `dialect`: a DialectError, already in the dialect's words.
 * - `domain`: an error of the core (a DomainError): its class and code say what happened, its
 *   message is safe to show (docs/errors.md, "Domain errors").
 * - `framework`: a 4xx the framework raised before any controller ran: Nest's HttpException (an
 *   unknown route is its 404) or Fastify's own status (413 body over the limit, 415 content
 *   type, 400 unreadable body). `message` is the framework's text.
 * - `unavailable`: the database, or another dependency, cannot be reached right now (503).
 * - `unexpected`: anything else, a bug: the client learns nothing of it, the log has the stack.
 */
export type ClassifiedError =
  | { kind: 'dialect'; error: DialectError }
  | { kind: 'domain'; error: DomainError }
  | { kind: 'framework'; status: number; message: string }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'unexpected'; error: unknown };

/** The HTTP status Fastify set on an error of its own (`statusCode`), if any. */
function fastifyStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function classifyError(err: unknown): ClassifiedError {
  if (err instanceof DialectError) return { kind: 'dialect', error: err };
  if (err instanceof DomainError) {
    if (err.code === 'Unavailable') return { kind: 'unavailable', reason: err.reason ?? err.message };
    return err.code === 'Internal' ? { kind: 'unexpected', error: err } : { kind: 'domain', error: err };
  }
  const status = err instanceof HttpException ? err.getStatus() : fastifyStatus(err);
  if (status !== undefined && status >= 400 && status < 500) return { kind: 'framework', status, message: String((err as Error).message) };
  if (isDatabaseUnavailable(err)) return { kind: 'unavailable', reason: String((err as Error).message) };
  return { kind: 'unexpected', error: err };
}

/** Who a failure happened to, for its log line. */
export interface FailureContext {
  requestId: string;
  dialect: string;
  /** The operation within the request (a JSON-RPC method), when there is one. */
  action?: string;
}

/**
 * The log line a failure is owed, written once where the failure is answered: the outage's
 * reason for `unavailable`, the stack for `unexpected` (never in the answer). The other kinds
 * are the client's doing and are logged by the dialect where it has something to say (a 401's
 * reason).
 */
export function logFailure(logger: Logger, c: ClassifiedError, at: FailureContext): void {
  const fields = { request_id: at.requestId, dialect: at.dialect, ...(at.action ? { action: at.action } : {}) };
  if (c.kind === 'unavailable') logger.error({ ...fields, reason: c.reason }, 'service unavailable');
  else if (c.kind === 'unexpected') logger.error({ ...fields, stack: (c.error as Error)?.stack ?? String(c.error) }, 'unexpected error');
}

/**
 * The Nest exception filter of a dialect: classifies the failure (classifyError), logs what it
 * owes the operator (logFailure), and leaves the answer to the dialect's `render`.
 */
export abstract class DialectExceptionFilter implements ExceptionFilter {
  protected readonly logger: Logger;

  constructor(protected readonly dialect: string, loggerName: string) {
    this.logger = new Logger(loggerName);
  }

  catch(err: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const c = classifyError(err);
    logFailure(this.logger, c, { requestId: String(req.id), dialect: this.dialect });
    this.render(err, c, req, reply);
  }

  /** Writes the dialect's answer to the classified failure (`err` is the original, for the dialect's own error classes). */
  protected abstract render(err: unknown, c: ClassifiedError, req: FastifyRequest, reply: FastifyReply): void;

  /** A failed authentication, for the log: the reason the client is not told. */
  protected authenticationFailed(req: FastifyRequest, reason: string | undefined, message = 'authentication failed', extra: object = {}): void {
    this.logger.warn({ request_id: req.id, dialect: this.dialect, ...extra, reason, remote: req.ip }, message);
  }

  /** A failure the dialect has no words for is a bug: logged as one, for the dialect to answer with its 500. */
  protected unexpected(err: unknown, req: FastifyRequest): void {
    logFailure(this.logger, { kind: 'unexpected', error: err }, { requestId: String(req.id), dialect: this.dialect });
  }
}
