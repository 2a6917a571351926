import { Table, TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/** MariaDB collation that compares code points exactly, trailing spaces included. */
const EXACT = 'utf8mb4_nopad_bin';

/**
 * Application credentials and access rules (docs/keystone-application-credentials.md): the
 * credentials with their roles, the access rules a user's credentials share and which credential
 * uses which. Expiry is microseconds since the epoch (Keystone's `DateTimeInt`), so an instant
 * comes back exactly as sent. On MariaDB an access rule's service, path and method compare
 * exactly (a path is matched case-sensitively). Revocation events gain `app_cred_id`: deleting a
 * credential revokes the tokens issued from it on every replica.
 */
export class ApplicationCredentials1766300000200 implements MigrationInterface {
  name = 'ApplicationCredentials1766300000200';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.driver.options.type !== 'better-sqlite3';
    const exact = mysql ? { charset: 'utf8mb4', collation: EXACT } : {};
    const id = (name: string, o: { primary?: boolean; nullable?: boolean } = {}) =>
      ({ name, type: 'varchar', length: '64', isPrimary: o.primary ?? false, isNullable: o.nullable ?? false });
    await q.createTable(new Table({
      name: 'application_credentials',
      columns: [
        id('id', { primary: true }),
        { name: 'name', type: 'varchar', length: '255' },
        { name: 'secret_hash', type: 'varchar', length: '255' },
        { name: 'description', type: 'text', isNullable: true },
        id('user_id'), id('project_id', { nullable: true }), id('system', { nullable: true }),
        { name: 'expires_at', type: 'bigint', isNullable: true },
        { name: 'unrestricted', type: 'boolean', isNullable: true },
      ],
      uniques: [{ name: 'uq_application_credentials_user_name', columnNames: ['user_id', 'name'] }],
      indices: [{ name: 'ix_application_credentials_project', columnNames: ['project_id'] }],
    }));
    await q.createTable(new Table({
      name: 'application_credential_roles',
      columns: [id('application_credential_id', { primary: true }), id('role_id', { primary: true })],
      indices: [{ name: 'ix_application_credential_roles_role', columnNames: ['role_id'] }],
    }));
    await q.createTable(new Table({
      name: 'access_rules',
      columns: [
        { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        id('external_id'), id('user_id'),
        { name: 'service', type: 'varchar', length: '64', ...exact },
        { name: 'path', type: 'varchar', length: '225', ...exact },
        { name: 'method', type: 'varchar', length: '16', ...exact },
      ],
      uniques: [{ name: 'uq_access_rules_user_rule', columnNames: ['user_id', 'service', 'path', 'method'] }],
      indices: [{ name: 'uq_access_rules_external_id', columnNames: ['external_id'], isUnique: true }],
    }));
    await q.createTable(new Table({
      name: 'application_credential_access_rules',
      columns: [id('application_credential_id', { primary: true }), { name: 'access_rule_id', type: 'integer', isPrimary: true }],
      indices: [{ name: 'ix_application_credential_access_rules_rule', columnNames: ['access_rule_id'] }],
    }));
    await q.addColumn('revocation_events', new TableColumn({ name: 'app_cred_id', type: 'varchar', length: '64', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('revocation_events', 'app_cred_id');
    await q.dropTable('application_credential_access_rules', true);
    await q.dropTable('access_rules', true);
    await q.dropTable('application_credential_roles', true);
    await q.dropTable('application_credentials', true);
  }
}
