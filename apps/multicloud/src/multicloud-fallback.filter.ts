import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SodaExceptionFilter } from './soda/soda-exception.filter.js';

/**
 * Errors no dialect controller saw (unknown routes, unparsable bodies) are rendered by the
 * dialect that owns the URL: `/v1/...` is SODA's; anything else gets a plain 404 text.
 */
@Catch()
export class MulticloudFallbackFilter implements ExceptionFilter {
  constructor(private readonly soda: SodaExceptionFilter) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    if (req.url.startsWith('/v1/') || req.url === '/v1') return this.soda.catch(err, host);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    reply.status(404).header('Content-Type', 'text/plain; charset=utf-8').send('404: Page Not Found');
  }
}
