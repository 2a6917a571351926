import { Readable } from 'node:stream';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BODY_LIMIT } from '@lintel/platform';
import { OUTSCALE_PREFIX } from './outscale-exception.filter.js';

/** The body bytes exactly as received, which an Outscale signature covers (B.2). */
export const rawBodyOf = (req: FastifyRequest): Buffer => (req as FastifyRequest & { outscaleRawBody?: Buffer }).outscaleRawBody ?? Buffer.alloc(0);

/**
 * Keeps the raw body of Outscale requests: the shared JSON parser hands the dialects a parsed
 * object, but the signature is over the bytes the client sent. A `preParsing` hook reads the
 * stream (never past the body limit, which the parser then enforces) and hands the same bytes on.
 */
@Injectable()
export class OutscaleRawBody implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('preParsing', async (req, _reply, payload) => {
      if (!req.url.startsWith(OUTSCALE_PREFIX)) return payload;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of payload) {
        const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
        chunks.push(b);
        size += b.length;
        if (size > BODY_LIMIT) break;
      }
      const raw = Buffer.concat(chunks);
      (req as FastifyRequest & { outscaleRawBody?: Buffer }).outscaleRawBody = raw;
      const out = Readable.from([raw]) as Readable & { receivedEncodedLength?: number };
      out.receivedEncodedLength = raw.length;
      return out;
    });
  }
}
