import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { keepRawBody } from '@lintel/platform';
import { OUTSCALE_PREFIX } from './outscale-exception.filter.js';

/** The body bytes exactly as received, which an Outscale signature covers (docs/outscale.md, "Authentication"). */
export { rawBodyOf } from '@lintel/platform';

/** Keeps the raw body of Outscale requests for signature checks. */
@Injectable()
export class OutscaleRawBody implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    keepRawBody(this.host.httpAdapter.getInstance<FastifyInstance>(), (url) => url.startsWith(OUTSCALE_PREFIX));
  }
}
