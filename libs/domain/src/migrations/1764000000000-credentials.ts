import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** The credential store shared by every dialect (issue "One credential store"). */
export class Credentials1764000000000 implements MigrationInterface {
  name = 'Credentials1764000000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.driver.options.type !== 'better-sqlite3';
    const instant = (name: string, nullable = true) => ({ name, type: 'datetime', precision: mysql ? 6 : undefined, isNullable: nullable });
    const id = (name: string, nullable = false) => ({ name, type: 'varchar', length: '64', isNullable: nullable });
    await q.createTable(new Table({
      name: 'credentials',
      columns: [
        { ...id('id'), isPrimary: true }, id('user_id'), id('project_id', true),
        { name: 'type', type: 'varchar', length: '255' },
        { name: 'access_key', type: 'varchar', length: '255', isNullable: true },
        { name: 'encrypted_blob', type: 'text' },
        { name: 'key_hash', type: 'varchar', length: '64' },
        { name: 'state', type: 'varchar', length: '16', default: "'active'" },
        { name: 'issuer', type: 'varchar', length: '32' },
        instant('expires_at'), instant('created_at', false), instant('updated_at', false), instant('last_used_at'),
        { name: 'last_used_service', type: 'varchar', length: '32', isNullable: true },
        { name: 'extra', type: 'text', isNullable: true },
      ],
      indices: [
        { name: 'ix_credentials_user', columnNames: ['user_id'] },
        { name: 'ix_credentials_project', columnNames: ['project_id'] },
        { name: 'ix_credentials_key_hash', columnNames: ['key_hash'] },
      ],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('credentials', true);
  }
}
