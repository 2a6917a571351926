import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '@lintel/config';
import { ENTITIES } from '../entities/index.js';
import { MIGRATIONS } from '../migrations/index.js';
import { SQLITE_LOWER, sqliteLower } from '../services/text-match.js';
import { sessionAwareMysql } from './galera-session.js';

interface SqliteConnection {
  pragma(s: string): unknown;
  function(name: string, o: { deterministic: boolean }, fn: (v: unknown) => unknown): unknown;
}

/**
 * The one DataSourceOptions factory: the apps (through TypeOrmModule), the manage CLI and the
 * tests all open their connections with these (`LintelDataSource.open`). `synchronize` is never on; migrations run only when asked (manage `db migrate`,
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
