import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { DomainError } from '@lintel/domain';
import { parseJsonBody } from '@lintel/platform';
import { EDGIO_PATHS } from './edgio-exception.filter.js';

/**
 * Python's jsonrpclib (what Edgio's own samples use) labels its bodies `application/json-rpc`;
 * the JSON-RPC-over-HTTP drafts also name `application/jsonrequest`. Those are JSON on the Edgio
 * paths, and stay the 415 of the shared parser everywhere else.
 */
@Injectable()
export class EdgioContentTypes implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    fastify.addContentTypeParser(['application/json-rpc', 'application/jsonrequest'], { parseAs: 'string' }, (req, body, done) => {
      if (!EDGIO_PATHS.includes(req.url.split('?')[0]!)) {
        return done(new DomainError('UnsupportedMediaType', 'Expecting to find application/json in Content-Type header'), undefined);
      }
      const text = String(body ?? '');
      if (!text.trim()) return done(null, undefined);
      let parsed: unknown;
      try {
        parsed = parseJsonBody(text);
      } catch (e) {
        return done(e as Error, undefined);
      }
      done(null, parsed);
    });
  }
}
