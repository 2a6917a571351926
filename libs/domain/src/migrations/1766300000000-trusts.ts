import { Table, TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * OS-TRUST (docs/keystone-trusts.md): trusts and the roles they delegate; revocation events gain
 * `trust_id` (Keystone's `OS-TRUST:trust_id`), written when a trust is deleted so that its
 * tokens die on every replica at the next refresh.
 */
export class Trusts1766300000000 implements MigrationInterface {
  name = 'Trusts1766300000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.driver.options.type !== 'better-sqlite3';
    const id = (name: string, nullable = false) => ({ name, type: 'varchar', length: '64', isNullable: nullable });
    const instant = (name: string) => ({ name, type: 'datetime', precision: mysql ? 6 : undefined, isNullable: true });
    await q.createTable(new Table({
      name: 'trusts',
      columns: [
        { ...id('id'), isPrimary: true },
        id('trustor_user_id'),
        id('trustee_user_id'),
        id('project_id', true),
        { name: 'impersonation', type: 'boolean', default: 0 },
        instant('expires_at'),
        { name: 'remaining_uses', type: 'int', isNullable: true },
        id('redelegated_trust_id', true),
        { name: 'redelegation_count', type: 'int', isNullable: true },
        instant('deleted_at'),
        { name: 'extra', type: 'text', isNullable: true },
      ],
      indices: [
        // Keystone's duplicate_trust_constraint; NULLs (no project, no expiry) never collide, on either database.
        { name: 'uq_trusts_duplicate', columnNames: ['trustor_user_id', 'trustee_user_id', 'project_id', 'impersonation', 'expires_at'], isUnique: true },
        { name: 'ix_trusts_trustee', columnNames: ['trustee_user_id'] },
        { name: 'ix_trusts_project', columnNames: ['project_id'] },
        { name: 'ix_trusts_redelegated', columnNames: ['redelegated_trust_id'] },
      ],
    }));
    await q.createTable(new Table({
      name: 'trust_roles',
      columns: [{ ...id('trust_id'), isPrimary: true }, { ...id('role_id'), isPrimary: true }],
    }));
    await q.addColumn('revocation_events', new TableColumn({ name: 'trust_id', type: 'varchar', length: '64', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('revocation_events', 'trust_id');
    await q.dropTable('trust_roles', true);
    await q.dropTable('trusts', true);
  }
}
