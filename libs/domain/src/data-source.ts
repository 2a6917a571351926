import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '@lintel/config';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';
import { sessionAwareMysql } from './galera-session.js';
import { installSqliteGate } from './sqlite-gate.js';
import { installTransactionRetry } from './transaction-retry.js';
import { SQLITE_LOWER, sqliteLower } from './services/text-match.js';

interface SqliteConnection {
  pragma(s: string): unknown;
  function(name: string, o: { deterministic: boolean }, fn: (v: unknown) => unknown): unknown;
}

/**
 * The one DataSourceOptions factory: the apps, the manage CLI and the tests all build their
 * connection here. `synchronize` is never on; migrations run only when asked (manage `db migrate`,
 * or the all-in-one `npm start` on its embedded database).
 */
export function dataSourceOptions(db: DatabaseConfig): DataSourceOptions {
  const common = { entities: [...ENTITIES], migrations: [...MIGRATIONS], synchronize: false, migrationsRun: false, logging: false };
  if (db.kind === 'sqlite') {
    // The database holds password hashes and sealed secrets: its directory is the owner's only.
    if (db.url !== ':memory:') mkdirSync(dirname(db.url), { recursive: true, mode: 0o700 });
    return {
      ...common,
      type: 'better-sqlite3',
      database: db.url,
      enableWAL: true,
      timeout: 5000,
      prepareDatabase: (conn: SqliteConnection) => {
        conn.pragma('synchronous = NORMAL');
        // SQLite's own lower() folds ASCII only; the `__i*` list filters need Unicode (text-match.ts).
        conn.function(SQLITE_LOWER, { deterministic: true }, sqliteLower);
      },
    };
  }
  return {
    ...common,
    type: 'mysql',
    url: db.url,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    poolSize: db.poolSize,
    connectTimeout: 5000,
    driver: sessionAwareMysql(db),
    extra: { enableKeepAlive: true, maxIdle: db.poolSize, idleTimeout: 60000 },
  } as DataSourceOptions;
}

export function createDataSource(db: DatabaseConfig): DataSource {
  const ds = new DataSource(dataSourceOptions(db));
  // SQLite runs one transaction at a time (the gate); MySQL/MariaDB run them side by side, and
  // one may lose a conflict (a deadlock, or a Galera certification failure at COMMIT): re-run it.
  if (db.kind === 'sqlite') installSqliteGate(ds);
  else installTransactionRetry(ds);
  return ds;
}
