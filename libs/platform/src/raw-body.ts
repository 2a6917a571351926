import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BODY_LIMIT } from './http.js';

type WithRaw = FastifyRequest & { lintelRawBody?: Buffer };

/** The body bytes exactly as received, for dialects whose signatures cover them. */
export const rawBodyOf = (req: FastifyRequest): Buffer => (req as WithRaw).lintelRawBody ?? Buffer.alloc(0);

/**
 * Keeps the raw body of the requests `matches` selects: the shared parser hands dialects a parsed
 * body, but a request signature is over the bytes the client sent. A `preParsing` hook reads the
 * stream (never past the body limit, which the parser then enforces) and hands the same bytes on.
 */
export function keepRawBody(fastify: FastifyInstance, matches: (url: string) => boolean): void {
  fastify.addHook('preParsing', async (req, _reply, payload) => {
    if (!matches(req.url)) return payload;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      chunks.push(b);
      size += b.length;
      if (size > BODY_LIMIT) break;
    }
    const raw = Buffer.concat(chunks);
    (req as WithRaw).lintelRawBody = raw;
    const out = Readable.from([raw]) as Readable & { receivedEncodedLength?: number };
    out.receivedEncodedLength = raw.length;
    return out;
  });
}
