import { Readable } from 'node:stream';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BODY_LIMIT } from '@lintel/platform';
import { ALIBABA_PATH } from './alibaba-exception.filter.js';

type WithRaw = FastifyRequest & { alibabaRawBody?: Buffer };

/** The body bytes exactly as received: ACS3's `x-acs-content-sha256` covers them, and V1 needs every form field. */
export const rawBodyOf = (req: FastifyRequest): Buffer => (req as WithRaw).alibabaRawBody ?? Buffer.alloc(0);

/**
 * Keeps the raw body of requests to Alibaba's endpoint (`/`): a `preParsing` hook reads the stream
 * (never past the body limit, which the parser then enforces) and hands the same bytes on.
 */
@Injectable()
export class AlibabaRawBody implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('preParsing', async (req, _reply, payload) => {
      if (req.url.split('?')[0] !== ALIBABA_PATH) return payload;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of payload) {
        const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
        chunks.push(b);
        size += b.length;
        if (size > BODY_LIMIT) break;
      }
      const raw = Buffer.concat(chunks);
      (req as WithRaw).alibabaRawBody = raw;
      const out = Readable.from([raw]) as Readable & { receivedEncodedLength?: number };
      out.receivedEncodedLength = raw.length;
      return out;
    });
  }
}
