import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { freePort } from './processes.js';
import { TcpProxy } from './tcp-proxy.js';

/** A fresh, empty database for one test file. */
export interface TestDatabase {
  kind: 'sqlite' | 'mariadb';
  /** `LINTEL_DATABASE_URL` for it. */
  url: string;
  /** A scratch directory for this database's data dir (keys, admin password). */
  dataDir: string;
  drop(): Promise<void>;
}

export interface DatabaseKind<D extends TestDatabase = TestDatabase> {
  kind: 'sqlite' | 'mariadb';
  create(): Promise<D>;
}

/** The MariaDB server's root URL (`LINTEL_TEST_MYSQL_URL`), when the MariaDB suites run. */
export const mysqlUrl = process.env.LINTEL_TEST_MYSQL_URL;
/** `skip` for a suite that needs MariaDB (outages, several processes on one database). */
export const skipWithoutMariaDb = mysqlUrl ? false : 'LINTEL_TEST_MYSQL_URL not set';

/**
 * SQLite always; MariaDB too when LINTEL_TEST_MYSQL_URL is set. With CI=true the MariaDB
 * suite is mandatory: a missing URL fails the run instead of skipping silently.
 */
export function databaseKinds(): DatabaseKind[] {
  const kinds: DatabaseKind[] = [sqliteKind()];
  if (mysqlUrl) kinds.push(mariadbKind());
  else if (process.env.CI === 'true') throw new Error('CI=true but LINTEL_TEST_MYSQL_URL is not set: the MariaDB suite must run in CI');
  return kinds;
}

/** MariaDB (`LINTEL_TEST_MYSQL_URL`), for suites that skip without it (`skipWithoutMariaDb`). */
export const mariadbKind = (): DatabaseKind => ({ kind: 'mariadb', create: () => createMariaDb(requireMysqlUrl()) });

function requireMysqlUrl(): string {
  if (!mysqlUrl) throw new Error('LINTEL_TEST_MYSQL_URL is not set');
  return mysqlUrl;
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

/** Runs one statement on a new connection to `url` and closes it; resolves with the rows. */
export async function mariadbQuery<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const conn = await createConnection(url);
  try {
    const [rows] = await conn.query(sql, params);
    return rows as T[];
  } finally {
    await conn.end();
  }
}

/** Creates `lintel_t_<random>` next to the database in the URL and drops it afterwards. */
export async function createMariaDb(rootUrl: string): Promise<TestDatabase> {
  const name = `lintel_t_${randomBytes(6).toString('hex')}`;
  await mariadbQuery(rootUrl, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const u = new URL(rootUrl);
  u.pathname = `/${name}`;
  const dir = mkdtempSync(join(tmpdir(), 'lintel-test-'));
  return {
    kind: 'mariadb',
    url: u.toString(),
    dataDir: dir,
    drop: async () => {
      rmSync(dir, { recursive: true, force: true });
      await mariadbQuery(rootUrl, `DROP DATABASE IF EXISTS \`${name}\``);
    },
  };
}

/** A fresh MariaDB database that Lintel reaches through a TCP proxy the test can cut (an outage). */
export interface ProxiedDatabase extends TestDatabase {
  /** The proxy: `cut()` is the outage, `start()` the database's return. */
  proxy: TcpProxy;
  /** The database's own URL, past the proxy (for checks made during an outage). */
  directUrl: string;
}

/**
 * A MariaDB database (`LINTEL_TEST_MYSQL_URL`) behind a loopback TCP proxy: `url` goes through the proxy, `directUrl` does
 * not. `drop()` cuts the proxy and drops the database.
 */
export function mariadbBehindProxy(): DatabaseKind<ProxiedDatabase> {
  return {
    kind: 'mariadb',
    create: async () => {
      const db = await createMariaDb(requireMysqlUrl());
      const direct = new URL(db.url);
      const proxy = new TcpProxy(await freePort(), direct.hostname, Number(direct.port || 3306));
      await proxy.start();
      const viaProxy = new URL(db.url);
      viaProxy.port = String(proxy.port);
      return {
        ...db,
        url: viaProxy.toString(),
        directUrl: db.url,
        proxy,
        drop: async () => {
          await proxy.cut();
          await db.drop();
        },
      };
    },
  };
}
