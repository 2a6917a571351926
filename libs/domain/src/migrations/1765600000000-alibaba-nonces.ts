import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** SignatureNonces of Alibaba-signed requests, unique across replicas, with their expiry (issue 6). */
export class AlibabaNonces1765600000000 implements MigrationInterface {
  name = 'AlibabaNonces1765600000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.driver.options.type !== 'better-sqlite3';
    await q.createTable(new Table({
      name: 'alibaba_nonces',
      columns: [
        { name: 'id', type: 'varchar', length: '64', isPrimary: true },
        { name: 'expires_at', type: 'datetime', precision: mysql ? 6 : undefined, isNullable: false },
      ],
      indices: [{ name: 'ix_alibaba_nonces_expires', columnNames: ['expires_at'] }],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('alibaba_nonces', true);
  }
}
