import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { keepRawBody } from '@lintel/platform';
import { ALIBABA_PATH } from './alibaba-exception.filter.js';

/** The body bytes exactly as received: ACS3's `x-acs-content-sha256` covers them, and V1 needs every form field. */
export { rawBodyOf } from '@lintel/platform';

/** Keeps the raw body of requests to Alibaba's endpoint (`/`) for signature checks. */
@Injectable()
export class AlibabaRawBody implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    keepRawBody(this.host.httpAdapter.getInstance<FastifyInstance>(), (url) => url.split('?')[0] === ALIBABA_PATH);
  }
}
