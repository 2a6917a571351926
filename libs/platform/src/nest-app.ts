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


/** JSON only; an empty body is no body, a broken one a MalformedBodyError for the dialect to word. */
function parseJson(text: string, done: (err: Error | null, body?: unknown) => void): void {
  if (!text.trim()) return done(null, undefined);
  try {
    done(null, JSON.parse(text));
  } catch {
    done(new MalformedBodyError(), undefined);
  }
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
    // Body parsing is ours (below), so every dialect sees the same rules.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => parseJson(String(body), done));
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    const text = String(body ?? '');
    // An empty body of any type is no body (curl --data-raw '' sends a form content type).
    if (!text.trim()) return done(null, undefined);
    if (req.headers['content-type'] !== undefined) {
      return done(new DomainError('UnsupportedMediaType', 'Expecting to find application/json in Content-Type header'), undefined);
    }
    parseJson(text, done);
  });
  return app;
}
