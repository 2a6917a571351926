import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, isDatabaseUnavailable, MalformedBodyError } from '@lintel/domain';
import { JsonNestingError } from '@lintel/platform';
import { errorEnvelope, INTERNAL_ERROR, INVALID_REQUEST, PARSE_ERROR, SERVER_ERROR } from './json-rpc.js';

/** The paths Edgio's JSON-RPC interface answers on (Edgio's documentation names one, its Python samples the other: docs/edgio.md, "Envelope"). */
export const EDGIO_PATHS = ['/jsonrpc', '/jsonrpc2'];

/**
 * Failures outside any one JSON-RPC call (unparsable or oversized bodies, wrong verb, unexpected
 * errors), written as a JSON-RPC 2.0 error with `id: null`: HTTP 200 for what JSON-RPC defines
 * (-32700), the transport's own status for what happens before JSON-RPC (405, 413, 503).
 */
@Catch()
export class EdgioExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Edgio');

  catch(err: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const [status, code, message] = this.describe(err, req);
    if (status === 405) reply.header('Allow', 'POST');
    reply.status(status).header('Content-Type', 'application/json').send(JSON.stringify(errorEnvelope(code, message)));
  }

  private describe(err: unknown, req: FastifyRequest): [number, number, string] {
    if (err instanceof MalformedBodyError) return [200, PARSE_ERROR, 'Parse error: the body is not valid JSON'];
    if (err instanceof JsonNestingError) return [200, PARSE_ERROR, `Parse error: ${err.message}`];
    if (err instanceof DomainError && err.code === 'UnsupportedMediaType') return [200, PARSE_ERROR, 'Parse error: the body must be JSON (Content-Type: application/json)'];
    const status = err instanceof HttpException ? err.getStatus() : typeof (err as { statusCode?: unknown })?.statusCode === 'number' ? (err as { statusCode: number }).statusCode : undefined;
    if (status === 404) return [405, INVALID_REQUEST, 'Invalid Request: JSON-RPC calls are POSTed'];
    if (status === 413) return [413, INVALID_REQUEST, 'Invalid Request: the body is larger than 65536 bytes'];
    if (status === 415) return [200, PARSE_ERROR, 'Parse error: the body must be JSON (Content-Type: application/json)'];
    if (status !== undefined && status < 500) return [200, PARSE_ERROR, 'Parse error: the body could not be read'];
    if (isDatabaseUnavailable(err) || (err instanceof DomainError && err.code === 'Unavailable')) {
      this.logger.error({ request_id: req.id, dialect: 'edgio', reason: (err as Error).message }, 'database unavailable');
      return [503, SERVER_ERROR, 'Server error: service temporarily unavailable'];
    }
    this.logger.error({ request_id: req.id, dialect: 'edgio', stack: (err as Error)?.stack }, 'unexpected error');
    return [200, INTERNAL_ERROR, 'Internal error'];
  }
}
