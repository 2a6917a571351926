import { Table, TableForeignKey, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

type Col = TableColumnOptions;

/** Column builders whose DDL differs between MySQL/MariaDB and SQLite. */
function columns(q: QueryRunner) {
  const mysql = q.connection.driver.options.type !== 'better-sqlite3';
  return {
    id: (name = 'id', primary = true): Col => ({ name, type: 'varchar', length: '64', isPrimary: primary }),
    ref: (name: string, nullable = false): Col => ({ name, type: 'varchar', length: '64', isNullable: nullable }),
    name: (): Col => ({ name: 'name', type: 'varchar', length: '255' }),
    text: (name: string): Col => ({ name, type: 'text', isNullable: true }),
    flag: (name: string, def: boolean): Col => ({ name, type: 'boolean', default: def ? 1 : 0 }),
    instant: (name: string, nullable = true): Col => ({ name, type: 'datetime', precision: mysql ? 6 : undefined, isNullable: nullable }),
    serial: (): Col => ({ name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' }),
  };
}

export class Init1763900000000 implements MigrationInterface {
  name = 'Init1763900000000';

  async up(q: QueryRunner): Promise<void> {
    const c = columns(q);
    await q.createTable(new Table({
      name: 'domains',
      columns: [c.id(), c.name(), c.text('description'), c.flag('enabled', true), c.text('tags'), c.text('extra')],
      uniques: [{ name: 'uq_domains_name', columnNames: ['name'] }],
    }));
    await q.createTable(new Table({
      name: 'projects',
      columns: [c.id(), c.name(), c.ref('domain_id'), c.ref('parent_id', true), c.flag('is_domain', false),
        c.text('description'), c.flag('enabled', true), c.text('tags'), c.text('extra')],
      uniques: [{ name: 'uq_projects_domain_name', columnNames: ['domain_id', 'name'] }],
      indices: [{ name: 'ix_projects_parent', columnNames: ['parent_id'] }],
    }));
    await q.createTable(new Table({
      name: 'users',
      columns: [c.id(), c.name(), c.ref('domain_id'), c.flag('enabled', true), c.ref('default_project_id', true),
        c.text('options'), c.text('extra'), c.instant('created_at'), c.instant('last_active_at'),
        { name: 'failed_auth_count', type: 'int', default: 0 }, c.instant('failed_auth_at')],
      uniques: [{ name: 'uq_users_domain_name', columnNames: ['domain_id', 'name'] }],
    }));
    await q.createTable(new Table({
      name: 'passwords',
      columns: [c.serial(), c.ref('user_id'), { name: 'password_hash', type: 'varchar', length: '255' },
        c.instant('created_at', false), c.instant('expires_at'), c.flag('self_service', false)],
      indices: [{ name: 'ix_passwords_user', columnNames: ['user_id'] }],
      foreignKeys: [new TableForeignKey({ name: 'fk_passwords_user', columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' })],
    }));
    await q.createTable(new Table({
      name: 'roles',
      columns: [c.id(), c.name(), c.ref('domain_id'), c.text('description'), c.text('options'), c.text('extra')],
      uniques: [{ name: 'uq_roles_name_domain', columnNames: ['name', 'domain_id'] }],
    }));
    await q.createTable(new Table({
      name: 'implied_roles',
      columns: [c.id('prior_role_id'), c.id('implied_role_id')],
      foreignKeys: [
        new TableForeignKey({ name: 'fk_implied_roles_prior', columnNames: ['prior_role_id'], referencedTableName: 'roles', referencedColumnNames: ['id'], onDelete: 'CASCADE' }),
        new TableForeignKey({ name: 'fk_implied_roles_implied', columnNames: ['implied_role_id'], referencedTableName: 'roles', referencedColumnNames: ['id'], onDelete: 'CASCADE' }),
      ],
    }));
    await q.createTable(new Table({
      name: 'role_assignments',
      columns: [{ name: 'type', type: 'varchar', length: '16', isPrimary: true }, c.id('actor_id'), c.id('target_id'),
        c.id('role_id'), { ...c.flag('inherited', false), isPrimary: true }],
      indices: [
        { name: 'ix_role_assignments_actor', columnNames: ['actor_id'] },
        { name: 'ix_role_assignments_target', columnNames: ['target_id'] },
      ],
    }));
    await q.createTable(new Table({
      name: 'regions',
      columns: [{ name: 'id', type: 'varchar', length: '255', isPrimary: true }, c.text('description'),
        { name: 'parent_region_id', type: 'varchar', length: '255', isNullable: true }, c.text('extra')],
    }));
    await q.createTable(new Table({
      name: 'services',
      columns: [c.id(), { name: 'type', type: 'varchar', length: '255' }, { ...c.name(), isNullable: true },
        c.text('description'), c.flag('enabled', true), c.text('extra')],
    }));
    await q.createTable(new Table({
      name: 'endpoints',
      columns: [c.id(), c.ref('service_id'), { name: 'interface', type: 'varchar', length: '8' }, { name: 'url', type: 'text' },
        { name: 'region_id', type: 'varchar', length: '255', isNullable: true }, c.flag('enabled', true), c.text('extra')],
      indices: [{ name: 'ix_endpoints_service', columnNames: ['service_id'] }],
      foreignKeys: [new TableForeignKey({ name: 'fk_endpoints_service', columnNames: ['service_id'], referencedTableName: 'services', referencedColumnNames: ['id'], onDelete: 'CASCADE' })],
    }));
    await q.createTable(new Table({
      name: 'revocation_events',
      columns: [c.serial(), c.ref('audit_id', true), c.ref('audit_chain_id', true), c.ref('user_id', true),
        c.ref('project_id', true), c.ref('domain_id', true), c.ref('role_id', true),
        c.instant('issued_before', false), c.instant('revoked_at', false), c.instant('expires_at')],
      indices: [{ name: 'ix_revocation_events_revoked_at', columnNames: ['revoked_at'] }],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['revocation_events', 'endpoints', 'services', 'regions', 'role_assignments', 'implied_roles',
      'roles', 'passwords', 'users', 'projects', 'domains']) {
      await q.dropTable(t, true);
    }
  }
}
