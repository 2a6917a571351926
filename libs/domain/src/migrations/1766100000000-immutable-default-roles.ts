import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Marks the roles bootstrap made before roles had options with `{"immutable": true}`, as
 * Keystone's bootstrap creates them (docs/keystone-inherit-and-roles.md). Once only: an operator
 * who later sets the option to false keeps that choice across restarts. The names and the
 * global-role sentinel are spelled here so that this step never changes with later code.
 */
export class ImmutableDefaultRoles1766100000000 implements MigrationInterface {
  name = 'ImmutableDefaultRoles1766100000000';

  async up(q: QueryRunner): Promise<void> {
    const names = ['admin', 'manager', 'member', 'reader', 'service'];
    const rows: Array<{ id: string; options: string | null }> = await q.query(
      `SELECT id, options FROM roles WHERE domain_id = ? AND name IN (${names.map(() => '?').join(', ')})`,
      ['<<null>>', ...names],
    );
    for (const r of rows) {
      let options: Record<string, unknown> = {};
      try {
        const parsed: unknown = r.options ? JSON.parse(r.options) : {};
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) options = parsed as Record<string, unknown>;
      } catch {
        // Unreadable options are replaced, as the entity would have failed to load them anyway.
      }
      if (options.immutable !== undefined) continue;
      await q.query('UPDATE roles SET options = ? WHERE id = ?', [JSON.stringify({ ...options, immutable: true }), r.id]);
    }
  }

  async down(): Promise<void> {
    // Nothing to undo: earlier code ignores the option.
  }
}
