import mysql from 'mysql2';
import type { DatabaseConfig } from '@lintel/config';

/** wsrep_sync_wait's READ bit: SELECT, SHOW and BEGIN wait until the node has applied every commit the cluster had when they started. */
const SYNC_WAIT_READ = 1;

/**
 * The statement each new MySQL connection runs first. On a MariaDB Galera node a read could
 * otherwise miss a write another node has acknowledged but this one has not applied yet
 * (docs/galera.md, "Reads see acknowledged writes"): unless `LINTEL_DB_WSREP_SYNC_WAIT` says
 * otherwise, the session adds the READ bit to whatever the server's own setting is. Off Galera
 * (`wsrep_on` OFF) the session keeps its value; where the variable does not exist at all (MySQL,
 * MariaDB built without wsrep) the statement fails and that failure is ignored.
 */
export function sessionSetupSql(db: DatabaseConfig): string {
  const value = db.wsrepSyncWait === undefined ? `@@session.wsrep_sync_wait | ${SYNC_WAIT_READ}` : String(db.wsrepSyncWait);
  return `SET SESSION wsrep_sync_wait = IF(@@global.wsrep_on = 1, ${value}, @@session.wsrep_sync_wait)`;
}

interface PoolLike {
  on(event: 'connection', listener: (c: { query(sql: string, cb: (err: unknown) => void): unknown }) => void): unknown;
}

/**
 * mysql2 as TypeORM's MySQL driver loads it (its `driver` option), except that every pool runs
 * `sessionSetupSql` on each connection it opens, before any statement of Lintel's: the pool emits
 * `connection` before it hands the new connection out, and a connection runs its statements in order.
 */
export function sessionAwareMysql(db: DatabaseConfig): typeof mysql {
  const sql = sessionSetupSql(db);
  const wrapped = Object.create(mysql) as typeof mysql;
  wrapped.createPool = ((options: mysql.PoolOptions) => {
    const pool = mysql.createPool(options);
    (pool as unknown as PoolLike).on('connection', (conn) => void conn.query(sql, () => undefined));
    return pool;
  }) as typeof mysql.createPool;
  return wrapped;
}
