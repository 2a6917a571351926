import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';

/** A fresh, empty database for one test file. */
export interface TestDatabase {
  kind: 'sqlite' | 'mariadb';
  /** `LINTEL_DATABASE_URL` for it. */
  url: string;
  /** A scratch directory for this database's data dir (keys, admin password). */
  dataDir: string;
  drop(): Promise<void>;
}

export interface DatabaseKind {
  kind: 'sqlite' | 'mariadb';
  create(): Promise<TestDatabase>;
}

/**
 * SQLite always; MariaDB too when LINTEL_TEST_MYSQL_URL is set. With CI=true the MariaDB
 * suite is mandatory: a missing URL fails the run instead of skipping silently.
 */
export function databaseKinds(): DatabaseKind[] {
  const kinds: DatabaseKind[] = [sqliteKind()];
  const mysqlUrl = process.env.LINTEL_TEST_MYSQL_URL;
  if (mysqlUrl) kinds.push({ kind: 'mariadb', create: () => createMariaDb(mysqlUrl) });
  else if (process.env.CI === 'true') throw new Error('CI=true but LINTEL_TEST_MYSQL_URL is not set: the MariaDB suite must run in CI');
  return kinds;
}

/** The embedded database only, for suites about something other than storage (the browser console). */
export const sqliteKind = (): DatabaseKind => ({ kind: 'sqlite', create: createSqlite });

async function createSqlite(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'lintel-test-'));
  return {
    kind: 'sqlite',
    url: `sqlite:${join(dir, 'lintel.sqlite')}`,
    dataDir: dir,
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Creates `lintel_t_<random>` next to the database in the URL and drops it afterwards. */
export async function createMariaDb(rootUrl: string): Promise<TestDatabase> {
  const name = `lintel_t_${randomBytes(6).toString('hex')}`;
  const conn = await createConnection(rootUrl);
  try {
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
  const u = new URL(rootUrl);
  u.pathname = `/${name}`;
  const dir = mkdtempSync(join(tmpdir(), 'lintel-test-'));
  return {
    kind: 'mariadb',
    url: u.toString(),
    dataDir: dir,
    drop: async () => {
      rmSync(dir, { recursive: true, force: true });
      const c = await createConnection(rootUrl);
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await c.end();
      }
    },
  };
}
