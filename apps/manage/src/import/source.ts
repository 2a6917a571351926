import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { createConnection, type ConnectionOptions } from 'mysql2';

/** A row as the source database returns it. */
export type Row = Record<string, unknown>;

/**
 * Keystone's database, read-only, through one consistent snapshot (Keystone may keep serving
 * while the import reads): a read transaction on SQLite, `START TRANSACTION WITH CONSISTENT
 * SNAPSHOT, READ ONLY` on MySQL/MariaDB.
 */
export interface SourceDb {
  readonly kind: 'sqlite' | 'mysql';
  /** The URL with any password masked, for messages. */
  readonly shown: string;
  /** Quotes an identifier (Keystone has tables named `group` and `limit`, columns named `option`). */
  q(name: string): string;
  tables(): Promise<Set<string>>;
  columns(table: string): Promise<Set<string>>;
  all(sql: string, params?: unknown[]): Promise<Row[]>;
  /**
   * The rows of a query one at a time, read as they are consumed (a large table is never held
   * whole). No other query may run on the source until the iteration ends.
   */
  stream(sql: string): AsyncIterable<Row>;
  close(): Promise<void>;
}

export class SourceUrlError extends Error {}

/** The URL with the password masked. */
export function maskUrl(url: string): string {
  return url.replace(/^([a-z0-9+]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

export type SourceTarget =
  | { kind: 'sqlite'; path: string }
  | { kind: 'mysql'; options: ConnectionOptions };

/**
 * Keystone's `[database] connection` as SQLAlchemy reads it: `sqlite:///relative/path`,
 * `sqlite:////absolute/path`, or `mysql[+driver]://user:password@host[:port]/database[?...]`
 * (`unix_socket` and `charset` are understood; other query options are driver tuning).
 */
export function parseSourceUrl(url: string): SourceTarget {
  const scheme = /^([a-z0-9]+)(\+[a-z0-9_]+)?:/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') {
    if (!url.startsWith('sqlite:///')) throw new SourceUrlError('a SQLite URL is sqlite:///relative/path or sqlite:////absolute/path (an in-memory database has nothing to import)');
    const path = decodeURIComponent(url.slice('sqlite:///'.length).split('?')[0]!);
    if (!path || path === ':memory:') throw new SourceUrlError('a SQLite URL must name the database file');
    return { kind: 'sqlite', path: resolve(path) };
  }
  if (scheme === 'mysql' || scheme === 'mariadb') {
    let u: URL;
    try {
      // SQLAlchemy allows an empty host (a local socket): `user@/db`, `mysql:///db`.
      u = new URL(url.replace(/^[^:]+:/, 'mysql:').replace(/^mysql:\/\/([^/]*@)?\//, (_m, auth: string | undefined) => `mysql://${auth ?? ''}localhost/`));
    } catch {
      throw new SourceUrlError(`not a valid URL: ${maskUrl(url)}`);
    }
    const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
    if (!database) throw new SourceUrlError(`the URL names no database: ${maskUrl(url)}`);
    const socket = u.searchParams.get('unix_socket');
    return {
      kind: 'mysql',
      options: {
        host: u.hostname || 'localhost',
        port: u.port ? Number(u.port) : 3306,
        ...(socket ? { socketPath: socket } : {}),
        user: decodeURIComponent(u.username) || undefined,
        password: decodeURIComponent(u.password) || undefined,
        database,
        // Keystone's tables are utf8 (3-byte) or utf8mb4; reading either as utf8mb4 is lossless.
        charset: 'utf8mb4',
        dateStrings: true,
        supportBigNumbers: true,
        connectTimeout: 10_000,
      },
    };
  }
  throw new SourceUrlError(`Lintel imports Keystone databases on SQLite and MySQL/MariaDB; ${scheme ? `"${scheme}"` : 'this URL'} is not one of them`);
}

export async function openSource(url: string): Promise<SourceDb> {
  const target = parseSourceUrl(url);
  return target.kind === 'sqlite' ? openSqlite(target.path, maskUrl(url)) : openMysql(target.options, maskUrl(url));
}

function openSqlite(path: string, shown: string): SourceDb {
  if (!existsSync(path)) throw new SourceUrlError(`no such SQLite database: ${path}`);
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  // A deferred read transaction: its snapshot starts with the first read and lasts to close().
  db.exec('BEGIN');
  const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
  return {
    kind: 'sqlite',
    shown,
    q,
    tables: async () => new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name)),
    columns: async (table) => new Set((db.prepare(`PRAGMA table_info(${q(table)})`).all() as Array<{ name: string }>).map((r) => r.name)),
    all: async (sql, params = []) => db.prepare(sql).all(...(params as never[])) as Row[],
    stream: async function* (sql) {
      for (const row of db.prepare(sql).iterate()) yield row as Row;
    },
    close: async () => {
      try {
        if (db.inTransaction) db.exec('COMMIT');
      } finally {
        db.close();
      }
    },
  };
}

async function openMysql(options: ConnectionOptions, shown: string): Promise<SourceDb> {
  const core = createConnection(options);
  // A connection that breaks fails the query or stream in progress; the event needs no listener of its own.
  core.on('error', () => undefined);
  const conn = core.promise();
  try {
    await conn.connect();
  } catch (e) {
    core.destroy();
    throw new SourceUrlError(`cannot connect to ${shown}: ${(e as Error).message}`);
  }
  await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  const q = (name: string) => `\`${name.replaceAll('`', '``')}\``;
  const all = async (sql: string, params: unknown[] = []) => (await conn.query(sql, params))[0] as Row[];
  return {
    kind: 'mysql',
    shown,
    q,
    tables: async () => new Set((await all('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()')).map((r) => String(r.name))),
    columns: async (table) => new Set((await all('SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?', [table])).map((r) => String(r.name))),
    all,
    stream: async function* (sql) {
      for await (const row of core.query(sql).stream()) yield row as Row;
    },
    close: async () => {
      await conn.query('COMMIT').catch(() => undefined);
      await conn.end();
    },
  };
}

/** What the importer takes from a keystone.conf: the database and the credential key repository. */
export interface KeystoneConf {
  connection: string | undefined;
  credentialKeys: string | undefined;
}

/** Keystone's own default `[credential] key_repository`. */
export const DEFAULT_CREDENTIAL_KEYS = '/etc/keystone/credential-keys/';

/**
 * Reads `[database] connection` and `[credential] key_repository` from a keystone.conf (the
 * oslo.config INI format), so that a database password need not be typed on the command line.
 */
export function readKeystoneConf(path: string): KeystoneConf {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SourceUrlError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const values = new Map<string, string>();
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1]!.trim().toLowerCase();
      continue;
    }
    const eq = line.search(/[=:]/);
    if (eq > 0) values.set(`${section}.${line.slice(0, eq).trim()}`, line.slice(eq + 1).trim());
  }
  return { connection: values.get('database.connection') || undefined, credentialKeys: values.get('credential.key_repository') || undefined };
}

/**
 * The source's URL and Keystone's credential keys from the command line: `--from` is either the
 * connection URL or a keystone.conf to take it from (then `--credential-keys` defaults to that
 * file's `[credential] key_repository`, else Keystone's default directory when it exists).
 */
export function resolveSource(from: string, credentialKeys: string | undefined): { url: string; credentialKeys: string | undefined } {
  if (/^[a-z][a-z0-9+]*:/i.test(from) || !existsSync(from) || !statSync(from).isFile()) return { url: from, credentialKeys };
  const conf = readKeystoneConf(from);
  if (!conf.connection) throw new SourceUrlError(`${from} has no [database] connection`);
  const keys = credentialKeys ?? conf.credentialKeys ?? (existsSync(DEFAULT_CREDENTIAL_KEYS) ? DEFAULT_CREDENTIAL_KEYS : undefined);
  return { url: conf.connection, credentialKeys: keys };
}
