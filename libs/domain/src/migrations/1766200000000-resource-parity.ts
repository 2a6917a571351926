import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** MariaDB collation that compares code points exactly, trailing spaces included. */
const EXACT = 'utf8mb4_nopad_bin';

/**
 * Project tags get a table of their own (docs/keystone-resources-parity.md, "Tags"), so that the
 * `tags`, `tags-any`, `not-tags` and `not-tags-any` list filters run in SQL; domain tags live in
 * it too, as in Keystone where a domain is a project. The tags held as JSON in `projects.tags`
 * and `domains.tags` move there and the columns go.
 *
 * Credentials: an ec2 credential's access key may now change while its id stays, so signed
 * requests find the credential through `access_key`, which gets a unique index, compared
 * exactly on MariaDB too.
 */
export class ResourceParity1766200000000 implements MigrationInterface {
  name = 'ResourceParity1766200000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.driver.options.type !== 'better-sqlite3';
    await q.createTable(new Table({
      name: 'project_tags',
      columns: [
        { name: 'project_id', type: 'varchar', length: '64', isPrimary: true },
        { name: 'name', type: 'varchar', length: '255', isPrimary: true, ...(mysql ? { charset: 'utf8mb4', collation: EXACT } : {}) },
      ],
      indices: [{ name: 'ix_project_tags_name', columnNames: ['name'] }],
    }));
    for (const table of ['projects', 'domains']) {
      const rows: { id: string; tags: string | null }[] = await q.query(`SELECT id, tags FROM ${table} WHERE tags IS NOT NULL`);
      for (const row of rows) {
        for (const name of new Set(parseTags(row.tags))) {
          await q.query('INSERT INTO project_tags (project_id, name) VALUES (?, ?)', [row.id, name]);
        }
      }
      await q.dropColumn(table, 'tags');
    }

    if (mysql) await q.query(`ALTER TABLE credentials MODIFY access_key varchar(255) CHARACTER SET utf8mb4 COLLATE ${EXACT} NULL`);
    await q.createIndex('credentials', new TableIndex({ name: 'uq_credentials_access_key', columnNames: ['access_key'], isUnique: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    const mysql = q.connection.driver.options.type !== 'better-sqlite3';
    await q.dropIndex('credentials', 'uq_credentials_access_key');
    if (mysql) await q.query('ALTER TABLE credentials MODIFY access_key varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL');
    for (const table of ['projects', 'domains']) {
      await q.addColumn(table, new TableColumn({ name: 'tags', type: 'text', isNullable: true }));
      const ids: { id: string }[] = await q.query(`SELECT id FROM ${table}`);
      for (const { id } of ids) {
        const tags: { name: string }[] = await q.query('SELECT name FROM project_tags WHERE project_id = ? ORDER BY name', [id]);
        await q.query(`UPDATE ${table} SET tags = ? WHERE id = ?`, [JSON.stringify(tags.map((t) => t.name)), id]);
      }
    }
    await q.dropTable('project_tags', true);
  }
}

/** The JSON text of the old `tags` columns; anything else there held no tags. */
function parseTags(text: string | null): string[] {
  try {
    const v: unknown = JSON.parse(text ?? '[]');
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string' && t.length > 0) : [];
  } catch {
    return [];
  }
}
