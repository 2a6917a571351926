import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Indexes that keep request costs flat as the directory grows (docs/performance.md, "Indexes"),
 * on SQLite and MariaDB alike:
 *
 * - `users (name, id)`, `projects (name, id)`, `groups (name, id)`: `?name=` without a domain,
 *   and every list's (name, id) order and `marker` read a page off the index instead of sorting
 *   the table.
 * - `role_assignments (role_id)`: `?role.id=` listings, and deleting a role, without a scan.
 * - `user_group_membership (group_id, user_id)`: a group's members in order, a page at a time.
 * - `credentials (created_at, id)`: the credential list's order, a page at a time.
 */
const INDEXES: Array<[table: string, name: string, columns: string[]]> = [
  ['users', 'ix_users_name', ['name', 'id']],
  ['projects', 'ix_projects_name', ['name', 'id']],
  ['groups', 'ix_groups_name', ['name', 'id']],
  ['role_assignments', 'ix_role_assignments_role', ['role_id']],
  ['user_group_membership', 'ix_membership_group_user', ['group_id', 'user_id']],
  ['credentials', 'ix_credentials_created', ['created_at', 'id']],
];

export class ScaleIndexes1766900000000 implements MigrationInterface {
  name = 'ScaleIndexes1766900000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, name, columnNames] of INDEXES) await q.createIndex(table, new TableIndex({ name, columnNames }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, name] of [...INDEXES].reverse()) await q.dropIndex(table, name);
  }
}
