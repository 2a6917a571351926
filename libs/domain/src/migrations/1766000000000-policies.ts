import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** `/v3/policies`: opaque policy blobs. */
export class Policies1766000000000 implements MigrationInterface {
  name = 'Policies1766000000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.driver.options.type !== 'better-sqlite3';
    await q.createTable(new Table({
      name: 'policies',
      columns: [
        { name: 'id', type: 'varchar', length: '64', isPrimary: true },
        { name: 'type', type: 'varchar', length: '255' },
        // A blob may take the whole request body; MariaDB's TEXT stops at 64 KiB.
        { name: 'blob', type: mysql ? 'mediumtext' : 'text' },
        { name: 'extra', type: 'text', isNullable: true },
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('policies', true);
  }
}
