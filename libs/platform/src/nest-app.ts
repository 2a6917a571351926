import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger as Pino } from 'pino';
import { LintelConfigModule, type LintelConfig } from '@lintel/config';
import { DomainError } from '@lintel/domain';
import { createAdapter } from './http.js';
import { parseJsonBody } from './json-body.js';
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
  /**
   * Paths (tested against the URL without its query) whose dialect speaks
   * `application/x-www-form-urlencoded` (Alibaba's RPC style): such bodies become plain objects of
   * strings there, and stay refused everywhere else.
   */
  formBodyPaths?: RegExp[];
}


/**
 * JSON only; an empty body is no body, a broken one a MalformedBodyError and one nested too deep
 * a JsonNestingError, for the dialect to word.
 */
function parseJson(text: string, done: (err: Error | null, body?: unknown) => void): void {
  if (!text.trim()) return done(null, undefined);
  let body: unknown;
  try {
    body = parseJsonBody(text);
  } catch (e) {
    return done(e as Error, undefined);
  }
  done(null, body);
}

/**
 * Builds one Lintel HTTP app: config + core + dialect on the shared Fastify adapter, with the
 * content-type rule of Keystone (docs/keystone.md, "Conventions": a body without Content-Type is read as JSON; a
 * body with another type is a 400, raised by the dialect's filter).
 */
export async function createLintelApp(o: AppOptions): Promise<NestFastifyApplication> {
  @Module({ imports: [LintelConfigModule.forRoot(o.config), ...o.imports, o.feature] })
  class RootModule {}
  Object.defineProperty(RootModule, 'name', { value: `${o.dialect[0]!.toUpperCase()}${o.dialect.slice(1)}RootModule` });

  const app = await NestFactory.create<NestFastifyApplication>(RootModule, createAdapter({ ...o, requestTimeoutMs: o.config.requestTimeout * 1000 }), {
    logger: new PinoNestLogger(o.logger),
    abortOnError: false,
    // Body parsing is ours (below), so every dialect sees the same rules.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  const acceptsForm = (url: string) => (o.formBodyPaths ?? []).some((p) => p.test(url.split('?')[0]!));
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => parseJson(String(body), done));
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    const text = String(body ?? '');
    // An empty body of any type is no body (curl --data-raw '' sends a form content type).
    if (!text.trim()) return done(null, undefined);
    const type = req.headers['content-type'];
    if (type !== undefined && /^application\/x-www-form-urlencoded\b/i.test(type) && acceptsForm(req.url)) {
      return done(null, Object.fromEntries(new URLSearchParams(text)));
    }
    if (type !== undefined) {
      return done(new DomainError('UnsupportedMediaType', 'Expecting to find application/json in Content-Type header'), undefined);
    }
    parseJson(text, done);
  });
  return app;
}
