import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `ix_role_assignments_role` becomes `(role_id, type, actor_id, target_id, inherited)`: the
 * order `GET /v3/role_assignments?role.id=` lists in, so a page of a role held by a million
 * users is read off the index instead of every grant of the role being sorted
 * (docs/performance.md, "Indexes"). SQLite and MariaDB alike.
 */
export class RoleIndexOrder1766900000100 implements MigrationInterface {
  name = 'RoleIndexOrder1766900000100';

  async up(q: QueryRunner): Promise<void> {
    await q.dropIndex('role_assignments', 'ix_role_assignments_role');
    await q.createIndex('role_assignments', new TableIndex({ name: 'ix_role_assignments_role', columnNames: ['role_id', 'type', 'actor_id', 'target_id', 'inherited'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('role_assignments', 'ix_role_assignments_role');
    await q.createIndex('role_assignments', new TableIndex({ name: 'ix_role_assignments_role', columnNames: ['role_id'] }));
  }
}
