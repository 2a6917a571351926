import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** OS-EP-FILTER: endpoint groups and the project associations that filter a token's catalog. */
export class EndpointGroups1766000000100 implements MigrationInterface {
  name = 'EndpointGroups1766000000100';

  async up(q: QueryRunner): Promise<void> {
    const id = (name: string, primary = false) => ({ name, type: 'varchar', length: '64', isPrimary: primary });
    await q.createTable(new Table({
      name: 'endpoint_groups',
      columns: [id('id', true), { name: 'name', type: 'varchar', length: '255' },
        { name: 'description', type: 'text', isNullable: true }, { name: 'filters', type: 'text' }],
    }));
    await q.createTable(new Table({
      name: 'project_endpoints',
      columns: [id('endpoint_id', true), id('project_id', true)],
      indices: [{ name: 'ix_project_endpoints_project', columnNames: ['project_id'] }],
    }));
    await q.createTable(new Table({
      name: 'project_endpoint_groups',
      columns: [id('endpoint_group_id', true), id('project_id', true)],
      indices: [{ name: 'ix_project_endpoint_groups_project', columnNames: ['project_id'] }],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('project_endpoint_groups', true);
    await q.dropTable('project_endpoints', true);
    await q.dropTable('endpoint_groups', true);
  }
}
