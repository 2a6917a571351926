import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Login sessions of the Edgio JSON-RPC dialect: token hash, owner, expiry (issue 6). */
export class EdgioSessions1765000000000 implements MigrationInterface {
  name = 'EdgioSessions1765000000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.driver.options.type !== 'better-sqlite3';
    const instant = (name: string) => ({ name, type: 'datetime', precision: mysql ? 6 : undefined, isNullable: false });
    await q.createTable(new Table({
      name: 'edgio_sessions',
      columns: [
        { name: 'id', type: 'varchar', length: '64', isPrimary: true },
        { name: 'user_id', type: 'varchar', length: '64' },
        instant('created_at'), instant('expires_at'),
      ],
      indices: [
        { name: 'ix_edgio_sessions_user', columnNames: ['user_id'] },
        { name: 'ix_edgio_sessions_expires', columnNames: ['expires_at'] },
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('edgio_sessions', true);
  }
}
