import type { Outcome, Step } from '../context.js';

/**
 * Keystone tables whose rows the import does not take (docs/migrating-from-keystone.md, "What is
 * not imported"). Each becomes a line of the summary when the source has rows in it, so nothing
 * is left behind silently.
 */
interface Left {
  name: string;
  tables: string[];
  outcome: Outcome;
  reason: string;
}

const LEFT: Left[] = [
  { name: 'OAuth1 request tokens', tables: ['request_token'], outcome: 'skipped', reason: 'short-lived: a consumer asks for a new one' },
  { name: 'identity providers', tables: ['identity_provider', 'idp_remote_ids', 'federation_protocol', 'mapping'], outcome: 'refused', reason: 'not supported: Lintel has no federation' },
  { name: 'service providers', tables: ['service_provider'], outcome: 'refused', reason: 'not supported: Lintel has no federation' },
  { name: 'federated group memberships', tables: ['expiring_user_group_membership'], outcome: 'refused', reason: 'not supported: Lintel has no federation' },
  { name: 'identity id mappings', tables: ['id_mapping'], outcome: 'refused', reason: 'not supported: ids of LDAP (non-SQL) users and groups' },
  { name: 'limits', tables: ['registered_limit', 'limit'], outcome: 'refused', reason: 'not supported: Lintel has no unified limits' },
  { name: 'endpoint policy associations', tables: ['policy_association'], outcome: 'refused', reason: 'not supported: Lintel has no OS-ENDPOINT-POLICY' },
  { name: 'revocation events', tables: ['revocation_event'], outcome: 'skipped', reason: 'Keystone tokens are not accepted by Lintel: every client gets a new Lintel token' },
  { name: 'tokens', tables: ['token'], outcome: 'skipped', reason: 'Keystone tokens are not accepted by Lintel: every client gets a new Lintel token' },
];

export const notImported: Step[] = LEFT.map((l) => ({
  name: l.name,
  optional: true,
  count: async (ctx) => {
    let n = 0;
    for (const table of l.tables) n += await ctx.countRows(table);
    return n;
  },
  async run(ctx, t) {
    for (const table of l.tables) {
      const n = await ctx.countRows(table);
      for (let i = 0; i < n; i++) t.note(l.outcome, table, l.reason);
    }
  },
}));
