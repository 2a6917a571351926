import { Catch } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MalformedBodyError } from '@lintel/domain';
import { DialectExceptionFilter, JsonNestingError, type ClassifiedError } from '@lintel/platform';
import { errorEnvelope, INTERNAL_ERROR, INVALID_REQUEST, PARSE_ERROR, SERVER_ERROR } from './json-rpc.js';

/** The paths Edgio's JSON-RPC interface answers on (Edgio's documentation names one, its Python samples the other: docs/edgio.md, "Envelope"). */
export const EDGIO_PATHS = ['/jsonrpc', '/jsonrpc2'];

const NOT_JSON: [number, number, string] = [200, PARSE_ERROR, 'Parse error: the body must be JSON (Content-Type: application/json)'];

/**
 * Failures outside any one JSON-RPC call (unparsable or oversized bodies, wrong verb, unexpected
 * errors), written as a JSON-RPC 2.0 error with `id: null`: HTTP 200 for what JSON-RPC defines
 * (-32700), the transport's own status for what happens before JSON-RPC (405, 413, 503; docs/errors.md).
 */
@Catch()
export class EdgioExceptionFilter extends DialectExceptionFilter {
  constructor() {
    super('edgio', 'Edgio');
  }

  protected render(err: unknown, c: ClassifiedError, req: FastifyRequest, reply: FastifyReply): void {
    const [status, code, message] = this.answer(err, c, req);
    if (status === 405) reply.header('Allow', 'POST');
    reply.status(status).header('Content-Type', 'application/json').send(JSON.stringify(errorEnvelope(code, message)));
  }

  private answer(err: unknown, c: ClassifiedError, req: FastifyRequest): [number, number, string] {
    if (c.kind === 'unavailable') return [503, SERVER_ERROR, 'Server error: service temporarily unavailable'];
    if (c.kind === 'framework') {
      if (c.status === 404) return [405, INVALID_REQUEST, 'Invalid Request: JSON-RPC calls are POSTed'];
      if (c.status === 413) return [413, INVALID_REQUEST, 'Invalid Request: the body is larger than 65536 bytes'];
      if (c.status === 415) return NOT_JSON;
      return [200, PARSE_ERROR, 'Parse error: the body could not be read'];
    }
    if (c.kind === 'domain') {
      if (err instanceof MalformedBodyError) return [200, PARSE_ERROR, 'Parse error: the body is not valid JSON'];
      if (err instanceof JsonNestingError) return [200, PARSE_ERROR, `Parse error: ${err.message}`];
      if (c.error.code === 'UnsupportedMediaType') return NOT_JSON;
    }
    if (c.kind !== 'unexpected') this.unexpected(err, req);
    return [200, INTERNAL_ERROR, 'Internal error'];
  }
}
