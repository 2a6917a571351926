import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ALIBABA_PATH, AlibabaExceptionFilter } from './alibaba/alibaba-exception.filter.js';
import { EDGIO_PATHS, EdgioExceptionFilter } from './edgio/edgio-exception.filter.js';
import { OUTSCALE_PREFIX, OutscaleExceptionFilter } from './outscale/outscale-exception.filter.js';
import { SodaExceptionFilter } from './soda/soda-exception.filter.js';

/**
 * Errors no dialect controller saw (unknown routes, unparsable bodies) are rendered by the
 * dialect that owns the URL: `/v1/...` is SODA's, `/jsonrpc` and `/jsonrpc2` Edgio's,
 * `/api/...` Outscale's, `/` Alibaba's; anything
 * else gets a plain 404 text.
 */
@Catch()
export class MulticloudFallbackFilter implements ExceptionFilter {
  constructor(
    private readonly soda: SodaExceptionFilter,
    private readonly edgio: EdgioExceptionFilter,
    private readonly outscale: OutscaleExceptionFilter,
    private readonly alibaba: AlibabaExceptionFilter,
  ) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const path = req.url.split('?')[0]!;
    if (path.startsWith('/v1/') || path === '/v1') return this.soda.catch(err, host);
    if (EDGIO_PATHS.includes(path)) return this.edgio.catch(err, host);
    if (path.startsWith(OUTSCALE_PREFIX)) return this.outscale.catch(err, host);
    if (path === ALIBABA_PATH) return this.alibaba.catch(err, host);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    reply.status(404).header('Content-Type', 'text/plain; charset=utf-8').send('404: Page Not Found');
  }
}
