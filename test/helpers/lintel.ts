import 'reflect-metadata';
import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { loadConfig, type LintelConfig } from '@lintel/config';
import { createDataSource } from '@lintel/domain';
import { createLogger } from '@lintel/platform';
import { createIdentityApp } from '../../apps/identity/src/app.js';
import { createMulticloudApp } from '../../apps/multicloud/src/app.js';
import { createManageContext } from '../../apps/manage/src/manage.module.js';
import { bootstrap, credentialKeys, tokenKeys } from '../../apps/manage/src/tasks.js';
import { after, before } from 'node:test';
import type { DatabaseKind, TestDatabase } from './databases.js';
import { freePort } from './processes.js';

/** The bootstrap admin password every test instance uses (test-only, never a real secret). */
export const ADMIN_PASSWORD = 'test-admin-password';

export interface Harness {
  /** Identity (Keystone) base URL. */
  url: string;
  /** Multicloud (SODA, cloud key APIs) base URL. */
  multicloudUrl: string;
  multicloud: NestFastifyApplication;
  config: LintelConfig;
  app: NestFastifyApplication;
  ds: DataSource;
  adminUserId: string;
  adminProjectId: string;
  get<T>(cls: Type<T>): T;
  close(): Promise<void>;
}

/** The environment a test instance runs with; `overrides` win. */
export function testEnv(db: TestDatabase, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    LINTEL_DATABASE_URL: db.url,
    LINTEL_DATA_DIR: db.dataDir,
    LINTEL_ADMIN_PASSWORD: ADMIN_PASSWORD,
    LINTEL_BCRYPT_ROUNDS: '4',
    LINTEL_HASH_THREADS: '1',
    LINTEL_LOG_LEVEL: process.env.LINTEL_TEST_LOG_LEVEL ?? 'silent',
    LINTEL_REVOCATION_REFRESH_MS: '200',
    ...overrides,
  };
}

/**
 * Starts Lintel in this process exactly as `npm start` does (migrate, key repositories,
 * bootstrap, then the same app factories), identity and multicloud each on a free loopback port.
 */
export async function startIdentity(db: TestDatabase, overrides: Record<string, string> = {}): Promise<Harness> {
  // Real ports up front, so the catalog that bootstrap writes points at this instance.
  const ports = { LINTEL_IDENTITY_PORT: String(await freePort()), LINTEL_MULTICLOUD_PORT: String(await freePort()) };
  const config = loadConfig(testEnv(db, { ...ports, ...overrides }));
  const logger = createLogger(config.logLevel);
  const ds = await createDataSource(config.database).initialize();
  await ds.runMigrations({ transaction: 'each' });
  await tokenKeys(config).setup();
  await credentialKeys(config).repo.setup();
  const ctx = await createManageContext(config, logger, ds);
  const boot = (await bootstrap(ctx, config, logger))!;
  await ctx.close();
  const app = await createIdentityApp(config, logger, ds);
  await app.listen(config.identityPort, '127.0.0.1');
  const multicloud = await createMulticloudApp(config, logger, ds);
  await multicloud.listen(config.multicloudPort, '127.0.0.1');
  return {
    url: await app.getUrl(),
    multicloudUrl: await multicloud.getUrl(),
    multicloud,
    config,
    app,
    ds,
    adminUserId: boot.adminUserId,
    adminProjectId: boot.adminProjectId,
    get: <T>(cls: Type<T>) => app.get(cls),
    close: async () => {
      await Promise.all([app.close(), multicloud.close()]);
      await ds.destroy();
    },
  };
}

/**
 * Registers before/after hooks that start Lintel on a fresh database of `kind` for the enclosing
 * suite and tear both down; the returned object holds them once `before` has run.
 */
export function useLintel(kind: DatabaseKind, overrides: Record<string, string> = {}): { h: Harness; db: TestDatabase } {
  const ctx = {} as { h: Harness; db: TestDatabase };
  before(async () => {
    ctx.db = await kind.create();
    ctx.h = await startIdentity(ctx.db, overrides);
  });
  after(async () => {
    await ctx.h?.close();
    await ctx.db?.drop();
  });
  return ctx;
}
