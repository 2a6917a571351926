import { Table, TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Keystone's OS-OAUTH1 extension (docs/keystone-oauth1.md): consumers, request and access tokens
 * (secrets sealed with the credential key ring), the nonces signed requests have used, and the
 * `access_token_id` of revocation events (deleting an access token revokes the tokens issued from it).
 */
export class OAuth11766310000000 implements MigrationInterface {
  name = 'OAuth11766310000000';

  async up(q: QueryRunner): Promise<void> {
    const mysql = q.connection.driver.options.type !== 'better-sqlite3';
    const instant = (name: string, nullable = true) => ({ name, type: 'datetime', precision: mysql ? 6 : undefined, isNullable: nullable });
    const id = (name: string, nullable = false) => ({ name, type: 'varchar', length: '64', isNullable: nullable });
    const sealed = [{ name: 'encrypted_secret', type: 'text' }, { name: 'key_hash', type: 'varchar', length: '64' }];
    await q.createTable(new Table({
      name: 'oauth1_consumers',
      columns: [
        { ...id('id'), isPrimary: true }, { name: 'description', type: 'text', isNullable: true }, ...sealed,
        { name: 'extra', type: 'text', isNullable: true }, instant('created_at', false),
      ],
    }));
    await q.createTable(new Table({
      name: 'oauth1_request_tokens',
      columns: [
        { ...id('id'), isPrimary: true }, id('consumer_id'), ...sealed, id('requested_project_id'), id('verifier_hash', true),
        id('authorizing_user_id', true), { name: 'role_ids', type: 'text', isNullable: true }, instant('expires_at'), instant('created_at', false),
      ],
      indices: [{ name: 'ix_oauth1_request_tokens_consumer', columnNames: ['consumer_id'] }],
    }));
    await q.createTable(new Table({
      name: 'oauth1_access_tokens',
      columns: [
        { ...id('id'), isPrimary: true }, id('consumer_id'), ...sealed, id('authorizing_user_id'), id('project_id'),
        { name: 'role_ids', type: 'text', isNullable: true }, instant('expires_at'), instant('created_at', false),
      ],
      indices: [
        { name: 'ix_oauth1_access_tokens_user', columnNames: ['authorizing_user_id'] },
        { name: 'ix_oauth1_access_tokens_consumer', columnNames: ['consumer_id'] },
      ],
    }));
    await q.createTable(new Table({
      name: 'oauth1_nonces',
      columns: [{ ...id('id'), isPrimary: true }, instant('expires_at', false)],
      indices: [{ name: 'ix_oauth1_nonces_expires', columnNames: ['expires_at'] }],
    }));
    await q.addColumn('revocation_events', new TableColumn(id('access_token_id', true)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('revocation_events', 'access_token_id');
    for (const t of ['oauth1_nonces', 'oauth1_access_tokens', 'oauth1_request_tokens', 'oauth1_consumers']) await q.dropTable(t, true);
  }
}
