import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Spent request signatures of the dialects that refuse replays (Outscale's key changes), across replicas (docs/security.md, "L2"). */
export class UsedSignatures1766320000000 implements MigrationInterface {
  name = 'UsedSignatures1766320000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.driver.options.type !== 'better-sqlite3';
    await q.createTable(new Table({
      name: 'used_signatures',
      columns: [
        { name: 'id', type: 'varchar', length: '64', isPrimary: true },
        { name: 'expires_at', type: 'datetime', precision: mysql ? 6 : undefined, isNullable: false },
      ],
      indices: [{ name: 'ix_used_signatures_expires', columnNames: ['expires_at'] }],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('used_signatures', true);
  }
}
