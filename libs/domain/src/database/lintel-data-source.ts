import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions, type Migration } from 'typeorm';
import type { DatabaseConfig } from '@lintel/config';
import { dataSourceOptions } from './data-source.js';
import { PoolTransactionRunner, SqliteTransactionRunner, type TransactionRunner } from './transaction-runner.js';

/**
 * Lintel's data source: the connection the repositories read through, plus {@link writes}, the
 * runner every write goes through (docs/databases.md, "Writes").
 *
 * On MySQL/MariaDB both are the one pool. On SQLite the reads go through a connection opened
 * read-only, and the writes through a second connection that only the runner uses; in WAL mode
 * readers see each commit at once and are never blocked by the writer.
 *
 * One process may run several apps on it (the all-in-one `npm start`): each app takes a
 * {@link lease}, and `destroy` closes the connections when the last holder lets go.
 */
export class LintelDataSource extends DataSource {
  /** The runner of every write (see the class comment). */
  writes!: TransactionRunner;
  private writer: DataSource | undefined;
  private scratchDir: string | undefined;
  private leases = 1;

  /** Opens the connections `db` names. */
  static open(db: DatabaseConfig): Promise<LintelDataSource> {
    return LintelDataSource.fromOptions(dataSourceOptions(db));
  }

  /** Opens the connections for options made by `dataSourceOptions`. */
  static async fromOptions(options: DataSourceOptions): Promise<LintelDataSource> {
    if (options.type !== 'better-sqlite3') {
      const ds = await new LintelDataSource(options).initialize();
      ds.writes = new PoolTransactionRunner(ds);
      return ds;
    }
    // An in-memory database would be a different one on each connection: it becomes a file in a
    // directory of its own, removed when the data source closes.
    const scratchDir = options.database === ':memory:' ? mkdtempSync(join(tmpdir(), 'lintel-')) : undefined;
    const database = scratchDir ? join(scratchDir, 'lintel.sqlite') : options.database;
    // The writer first: it creates the file and turns WAL on, which a read-only connection cannot.
    const writer = await new DataSource({ ...options, database, readonly: false }).initialize();
    try {
      const ds = await new LintelDataSource({ ...options, database, readonly: true }).initialize();
      ds.writer = writer;
      ds.scratchDir = scratchDir;
      ds.writes = new SqliteTransactionRunner(writer);
      return ds;
    } catch (e) {
      await writer.destroy();
      throw e;
    }
  }

  /** One more holder: the connections stay open until each holder has called `destroy`. */
  lease(): this {
    this.leases++;
    return this;
  }

  /** Lets go of one hold; the last closes the connections. */
  override async destroy(): Promise<void> {
    if (--this.leases > 0 || !this.isInitialized) return;
    await super.destroy();
    await this.writer?.destroy();
    if (this.scratchDir) rmSync(this.scratchDir, { recursive: true, force: true });
  }

  /** Runs the pending migrations, each in its own transaction, on the writing connection. */
  migrate(): Promise<Migration[]> {
    return this.writes.exclusive((w) => w.runMigrations({ transaction: 'each' }));
  }

  /** Reverts the newest migration applied (tests of a migration's `down`). */
  revertLastMigration(): Promise<void> {
    return this.writes.exclusive((w) => w.undoLastMigration({ transaction: 'each' }));
  }
}
