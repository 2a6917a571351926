import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger as Pino } from 'pino';
import type { LintelConfig } from '@lintel/config';
import { PASSWORD_HASHER_PROVIDER } from '@lintel/auth';
import { DomainModule, type LintelDataSource } from '@lintel/domain';
import { createLintelApp } from '@lintel/platform';
import { AuditHook } from './audit.hook.js';
import { serveConsole } from './console/console-static.js';
import { IdentityModule } from './identity.module.js';

/** The Keystone v3 app, served at `/v3` and, identically, at `/identity/v3`; the console at `/console/`. */
export async function createIdentityApp(config: LintelConfig, logger: Pino, dataSource?: LintelDataSource): Promise<NestFastifyApplication> {
  const app = await createLintelApp({
    config,
    logger,
    dialect: 'keystone',
    feature: IdentityModule,
    imports: [DomainModule.forRoot({ hasher: PASSWORD_HASHER_PROVIDER, dataSource })],
    stripPrefixes: ['/identity'],
  });
  app.get(AuditHook).register(app.getHttpAdapter().getInstance());
  if (config.console) serveConsole(app, logger);
  return app;
}
