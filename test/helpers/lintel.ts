import 'reflect-metadata';
import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, type LintelConfig } from '@lintel/config';
import { LintelDataSource } from '@lintel/domain';
import { createLogger } from '@lintel/platform';
import { createIdentityApp } from '../../apps/identity/src/app.js';
import { createMulticloudApp } from '../../apps/multicloud/src/app.js';
import { createManageContext } from '../../apps/manage/src/manage.module.js';
import { bootstrap, credentialKeys, tokenKeys } from '../../apps/manage/src/tasks.js';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { sqliteKind, type DatabaseKind, type TestDatabase } from './databases.js';
import { freePort, runNode, scripts, startNode, waitForHttp, type Proc } from './processes.js';

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
  ds: LintelDataSource;
  adminUserId: string;
  adminProjectId: string;
  get<T>(cls: Type<T>): T;
  /**
   * Another identity and multicloud app on the same database, with a connection pool and
   * process state of their own (a second replica behind a load balancer); `close` stops it too.
   */
  replica(): Promise<Replica>;
  close(): Promise<void>;
}

export interface Replica {
  url: string;
  multicloudUrl: string;
  ds: LintelDataSource;
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

/** The test instance's config for `db`, and a new connection to it (as another process would have). */
export async function connectDatabase(db: TestDatabase, overrides: Record<string, string> = {}): Promise<{ config: LintelConfig; ds: LintelDataSource }> {
  const config = loadConfig(testEnv(db, overrides));
  return { config, ds: await LintelDataSource.open(config.database) };
}

/** As `connectDatabase`, with every migration run. */
export async function openDatabase(db: TestDatabase, overrides: Record<string, string> = {}): Promise<{ config: LintelConfig; ds: LintelDataSource }> {
  const opened = await connectDatabase(db, overrides);
  await opened.ds.migrate();
  return opened;
}

/**
 * Registers before/after hooks that give the enclosing suite a fresh, migrated database of
 * `kind` with a connection to it (no app), and tear both down; `migrated: false` leaves it
 * empty, `env` adds to the test configuration.
 */
export function useDatabase(kind: DatabaseKind, o: { migrated?: boolean; env?: Record<string, string> } = {}): { db: TestDatabase; ds: LintelDataSource; config: LintelConfig } {
  return useOnFreshDatabase(kind, (db) => (o.migrated === false ? connectDatabase : openDatabase)(db, o.env), ({ ds }) => ds.destroy());
}

/**
 * Registers before/after hooks for the enclosing suite: a fresh database of `kind`, then `start`
 * on it, whose result the returned object holds once `before` has run; after the suite, `stop`
 * (when it started) and the database dropped, even when stopping fails.
 */
function useOnFreshDatabase<D extends TestDatabase, T extends object>(kind: DatabaseKind<D>, start: (db: D) => Promise<T>, stop: (started: T) => Promise<unknown>): T & { db: D } {
  const ctx = {} as T & { db: D };
  let started: T | undefined;
  before(async () => {
    ctx.db = await kind.create();
    started = await start(ctx.db);
    Object.assign(ctx, started);
  });
  after(async () => {
    try {
      if (started) await stop(started);
    } finally {
      await ctx.db?.drop();
    }
  });
  return ctx;
}

/** Identity and multicloud apps on `ds`, each listening on its configured port (0: any). */
async function listen(config: LintelConfig, ds: LintelDataSource): Promise<{ app: NestFastifyApplication; multicloud: NestFastifyApplication }> {
  const logger = createLogger(config.logLevel);
  const app = await createIdentityApp(config, logger, ds);
  await app.listen(config.identityPort, '127.0.0.1');
  const multicloud = await createMulticloudApp(config, logger, ds);
  await multicloud.listen(config.multicloudPort, '127.0.0.1');
  return { app, multicloud };
}

/**
 * Starts Lintel in this process exactly as `npm start` does (migrate, key repositories,
 * bootstrap, then the same app factories), identity and multicloud each on a free loopback port.
 */
export async function startIdentity(db: TestDatabase, overrides: Record<string, string> = {}): Promise<Harness> {
  // Real ports up front, so the catalog that bootstrap writes points at this instance.
  const ports = { LINTEL_IDENTITY_PORT: String(await freePort()), LINTEL_MULTICLOUD_PORT: String(await freePort()) };
  const { config, ds } = await openDatabase(db, { ...ports, ...overrides });
  const logger = createLogger(config.logLevel);
  await tokenKeys(config).setup();
  await credentialKeys(config).repo.setup();
  const ctx = await createManageContext(config, logger, ds);
  const boot = (await bootstrap(ctx, config, logger))!;
  await ctx.close();
  const { app, multicloud } = await listen(config, ds);
  const replicas: Array<() => Promise<void>> = [];
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
    replica: async () => {
      const own = await LintelDataSource.open(config.database);
      const r = await listen({ ...config, identityPort: 0, multicloudPort: 0 }, own);
      replicas.push(async () => {
        await Promise.all([r.app.close(), r.multicloud.close()]);
        await own.destroy();
      });
      return { url: await r.app.getUrl(), multicloudUrl: await r.multicloud.getUrl(), ds: own };
    },
    close: async () => {
      await Promise.all(replicas.map((stop) => stop()));
      await Promise.all([app.close(), multicloud.close()]);
      await ds.destroy();
    },
  };
}

/**
 * Registers before/after hooks that start Lintel on a fresh database of `kind` for the enclosing
 * suite and tear both down; the returned object holds them once `before` has run.
 */
export function useLintel<D extends TestDatabase>(kind: DatabaseKind<D>, overrides: Record<string, string> = {}): { h: Harness; db: D } {
  return useOnFreshDatabase(kind, async (db) => ({ h: await startIdentity(db, overrides) }), ({ h }) => h.close());
}

/** Runs the manage commands an operator runs before the first start of separate processes. */
export async function manageSetup(env: Record<string, string>): Promise<void> {
  for (const args of [['db', 'migrate'], ['token-keys', 'setup'], ['credential-keys', 'setup'], ['bootstrap']]) {
    const r = await runNode(scripts.manage, args, env);
    assert.equal(r.code, 0, `manage ${args.join(' ')} failed: ${r.output}`);
  }
}

/** A Lintel process: its output, and the base URLs it serves. */
export interface LintelProcess {
  proc: Proc;
  /** Identity (Keystone) base URL. */
  url: string;
  /** Multicloud base URL (the all-in-one process only). */
  multicloudUrl: string;
}

/**
 * Starts `script` (the all-in-one process unless told otherwise) with exactly `env`, on free
 * ports unless `env` names them, and resolves once each of its apps answers.
 */
export async function startLintelProcess(env: Record<string, string>, script = scripts.lintel): Promise<LintelProcess> {
  const e = { LINTEL_IDENTITY_PORT: String(await freePort()), LINTEL_MULTICLOUD_PORT: String(await freePort()), ...env };
  const proc = startNode(script, [], e);
  const url = `http://127.0.0.1:${e.LINTEL_IDENTITY_PORT}`;
  const multicloudUrl = `http://127.0.0.1:${e.LINTEL_MULTICLOUD_PORT}`;
  try {
    await waitForHttp(`${url}/healthz`, 20_000, proc);
    if (script === scripts.lintel) await waitForHttp(`${multicloudUrl}/healthz`, 20_000, proc);
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
  return { proc, url, multicloudUrl };
}

/**
 * Resolves once everything `p` logged for the requests answered so far is in its output: it
 * sends one more request to `base` and waits for that request's access line (LINTEL_LOG_LEVEL
 * info or lower), which the process writes after the earlier ones.
 */
export async function logCaughtUp(p: LintelProcess, base = p.url): Promise<string> {
  const r = await fetch(`${base}/healthz`);
  await r.arrayBuffer();
  const id = r.headers.get('x-openstack-request-id');
  assert.ok(id, 'the answer carries a request id');
  return p.proc.waitForOutput(`"request_id":"${id}"`);
}

/**
 * Registers before/after hooks that run the all-in-one process (`npm start`) on a fresh
 * database of `kind` (SQLite by default) for the enclosing suite, with `testEnv` and
 * `overrides`; after the suite the process is stopped (if the suite has not) and the database
 * dropped.
 */
export function useLintelProcess(overrides: Record<string, string> = {}, kind: DatabaseKind = sqliteKind()): LintelProcess & { db: TestDatabase } {
  return useOnFreshDatabase(kind, (db) => startLintelProcess(testEnv(db, overrides)), ({ proc }) => proc.stop());
}

/**
 * Registers before/after hooks that prepare a fresh database of `kind` with the manage CLI and
 * run `count` identity processes on it, as an operator would run replicas; `env` is what they
 * (and the manage commands) were given.
 */
export function useIdentityProcesses<D extends TestDatabase>(kind: DatabaseKind<D>, count: number, overrides: Record<string, string> = {}): { db: D; env: Record<string, string>; procs: LintelProcess[] } {
  const start = async (db: D) => {
    const env = testEnv(db, overrides);
    await manageSetup(env);
    return { env, procs: await Promise.all(Array.from({ length: count }, () => startLintelProcess(env, scripts.identity))) };
  };
  return useOnFreshDatabase(kind, start, ({ procs }) => Promise.all(procs.map((p) => p.proc.stop())));
}
