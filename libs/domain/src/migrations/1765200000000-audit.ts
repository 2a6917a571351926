import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** The CADF audit trail of identity changes and authentications. */
export class Audit1765200000000 implements MigrationInterface {
  name = 'Audit1765200000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.driver.options.type !== 'better-sqlite3';
    const str = (name: string, length: string, nullable = false) => ({ name, type: 'varchar', length, isNullable: nullable });
    await q.createTable(new Table({
      name: 'audit_events',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        str('event_id', '64'), str('action', '64'), str('outcome', '16'), str('initiator_user_id', '64', true),
        str('initiator_project_id', '64', true), str('target_type', '64'), str('target_id', '255', true), str('request_id', '64', true),
        { name: 'event_time', type: 'datetime', precision: mysql ? 6 : undefined },
        { name: 'payload', type: 'text' },
      ],
      indices: [{ name: 'ix_audit_events_time', columnNames: ['event_time'] }],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audit_events', true);
  }
}
