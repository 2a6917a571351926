import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger as Pino } from 'pino';
import { LintelConfigModule, type LintelConfig } from '@lintel/config';
import { DomainError, MalformedBodyError } from '@lintel/domain';
import { createAdapter } from './http.js';
import { PinoNestLogger } from './logger.js';

export interface AppOptions {
  config: LintelConfig;
  logger: Pino;
  dialect: string;
  /** The dialect's feature module. */
  feature: Type<unknown>;
  /** Root-level modules the feature needs (the DomainModule binding). */
  imports: Array<DynamicModule | Type<unknown>>;
  stripPrefixes?: string[];
}


/**
 * Builds one Lintel HTTP app: config + core + dialect on the shared Fastify adapter, with the
 * content-type rule of the Keystone contract (a body without Content-Type is read as JSON; a
 * body with another type is a 400, raised by the dialect's filter).
 */
export async function createLintelApp(o: AppOptions): Promise<NestFastifyApplication> {
  @Module({ imports: [LintelConfigModule.forRoot(o.config), ...o.imports, o.feature] })
  class RootModule {}
  Object.defineProperty(RootModule, 'name', { value: `${o.dialect[0]!.toUpperCase()}${o.dialect.slice(1)}RootModule` });

  const app = await NestFactory.create<NestFastifyApplication>(RootModule, createAdapter(o), {
    logger: new PinoNestLogger(o.logger),
    abortOnError: false,
    bodyParser: true,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Only JSON is spoken: text/plain must reach the catch-all below and be refused.
  fastify.removeContentTypeParser('text/plain');
  // Only JSON is spoken; an empty body of any type is no body (curl --data-raw '' sends a form type).
  if (fastify.hasContentTypeParser('application/x-www-form-urlencoded')) fastify.removeContentTypeParser('application/x-www-form-urlencoded');
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    const text = String(body ?? '');
    if (!text.trim()) return done(null, undefined);
    if (req.headers['content-type'] !== undefined) {
      done(new DomainError('UnsupportedMediaType', 'Expecting to find application/json in Content-Type header'), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new MalformedBodyError(), undefined);
    }
  });
  return app;
}
