import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Domain-specific configuration options, sensitive ones sealed. */
export class DomainConfigs1766000000200 implements MigrationInterface {
  name = 'DomainConfigs1766000000200';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.driver.options.type !== 'better-sqlite3';
    await q.createTable(new Table({
      name: 'domain_configs',
      columns: [
        { name: 'domain_id', type: 'varchar', length: '64', isPrimary: true },
        { name: 'group_name', type: 'varchar', length: '255', isPrimary: true },
        { name: 'option_name', type: 'varchar', length: '255', isPrimary: true },
        // A sealed value is larger than the value itself, which may take most of a request body.
        { name: 'value', type: mysql ? 'mediumtext' : 'text' },
        { name: 'sensitive', type: 'boolean', default: 0 },
        { name: 'key_hash', type: 'varchar', length: '64', isNullable: true },
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('domain_configs', true);
  }
}
