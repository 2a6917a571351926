import { GroupEntity, GroupMembershipEntity, isVerifiableHash, PasswordEntity, UserEntity } from '@lintel/domain';
import { bool, instant, jsonObject, jsonValue, micros, sameInstant, sameJson, text, type Outcome, type Step } from '../context.js';

/**
 * Users: Keystone splits one into `user` (id, domain, enabled, extra, default project),
 * `local_user` (name, lockout counters) and `password` (one row per password it ever had, the
 * newest current); its options are rows of `user_option` by option id, multi-factor rules among
 * them (a user's TOTP secrets are credentials of type `totp`, imported with the others). Users
 * of other identity back ends (`nonlocal_user`, LDAP) and of federation (`federated_user`) are
 * not Lintel's.
 */

/** Keystone's user options by their stored id, for the ones Lintel has (multi-factor rules included). */
const USER_OPTIONS: Record<string, string> = {
  '1000': 'ignore_change_password_upon_first_use',
  '1001': 'ignore_password_expiry',
  '1002': 'ignore_lockout_failure_attempts',
  '1003': 'lock_password',
  MFAR: 'multi_factor_auth_rules',
  MFAE: 'multi_factor_auth_enabled',
};
/** Keystone's user options Lintel does not have. */
const OTHER_USER_OPTIONS: Record<string, string> = {
  '1004': 'ignore_user_inactivity',
};

interface OptionRow {
  userId: string;
  optionId: string;
  value: unknown;
}

async function userOptions(ctx: Parameters<Step['run']>[0]): Promise<Map<string, OptionRow[]>> {
  const out = new Map<string, OptionRow[]>();
  if (!(await ctx.hasTable('user_option'))) return out;
  for (const r of await ctx.src.all(`SELECT user_id, option_id, option_value FROM ${ctx.src.q('user_option')} ORDER BY user_id, option_id`)) {
    const row = { userId: String(r.user_id), optionId: String(r.option_id), value: jsonValue(r.option_value) };
    out.set(row.userId, [...(out.get(row.userId) ?? []), row]);
  }
  return out;
}

export const users: Step = {
  name: 'users',
  count: (ctx) => ctx.countRows('user'),
  async run(ctx, t) {
    const q = ctx.src.q;
    const options = await userOptions(ctx);
    const existing = new Map((await ctx.m.find(UserEntity)).map((u) => [u.id, u]));
    const key = (domainId: string, name: string) => `${domainId}\n${ctx.nameKey(name)}`;
    const byName = new Map([...existing.values()].map((u) => [key(u.domainId, u.name), u.id]));
    const nonlocal = (await ctx.hasTable('nonlocal_user')) ? `(SELECT COUNT(*) FROM ${q('nonlocal_user')} n WHERE n.user_id = u.id)` : '0';
    const federated = (await ctx.hasTable('federated_user')) ? `(SELECT COUNT(*) FROM ${q('federated_user')} f WHERE f.user_id = u.id)` : '0';
    const sql = `SELECT u.id, u.domain_id, u.enabled, u.default_project_id, u.extra, u.created_at, u.last_active_at,
        l.name, l.failed_auth_count, l.failed_auth_at, ${nonlocal} AS nonlocal, ${federated} AS federated
      FROM ${q('user')} u LEFT JOIN ${q('local_user')} l ON l.user_id = u.id`;
    for await (const rows of ctx.pages(sql, 'u.id')) {
      const fresh: UserEntity[] = [];
      for (const r of rows) {
        const id = String(r.id);
        const domainId = String(r.domain_id);
        if (r.name === null || r.name === undefined) {
          t.refuse(id, Number(r.federated) > 0 ? 'a federated user: Lintel has no federation'
            : Number(r.nonlocal) > 0 ? 'a user of an LDAP or other non-SQL identity back end: Lintel keeps local users only' : 'not a local user (no local_user row)');
          continue;
        }
        const extra = jsonObject(r.extra);
        if (!extra) {
          t.refuse(id, 'its extra attributes are not a JSON object');
          continue;
        }
        if (!ctx.accepted.domains.has(domainId)) {
          t.refuse(id, `its domain ${domainId} was not imported`);
          continue;
        }
        const opts = options.get(id) ?? [];
        const known: Record<string, unknown> = {};
        for (const o of opts) if (USER_OPTIONS[o.optionId] && o.value !== null) known[USER_OPTIONS[o.optionId]!] = o.value;
        const name = String(r.name);
        const holder = byName.get(key(domainId, name));
        if (holder !== undefined && holder !== id) {
          t.refuse(id, `Lintel already has a user named ${name} in domain ${domainId} under another id (${holder}): was this database bootstrapped before the import?`);
          continue;
        }
        const u: UserEntity = {
          id, name, domainId, enabled: bool(r.enabled), defaultProjectId: text(r.default_project_id), options: known, extra,
          createdAt: instant(r.created_at), lastActiveAt: instant(r.last_active_at), failedAuthCount: Number(r.failed_auth_count ?? 0) || 0,
          failedAuthAt: instant(r.failed_auth_at),
        };
        const old = existing.get(id);
        ctx.accepted.users.add(id);
        byName.set(key(domainId, name), id);
        let outcome: Outcome;
        if (!old) {
          fresh.push(u);
          outcome = 'created';
        } else if (old.name !== u.name || old.domainId !== u.domainId || old.enabled !== u.enabled || old.defaultProjectId !== u.defaultProjectId
          || !sameJson(old.options ?? {}, u.options) || !sameJson(old.extra ?? {}, u.extra)) {
          // What a user did since the first import (last activity, failed attempts) stays Lintel's.
          await ctx.update(UserEntity, { id }, { name: u.name, domainId: u.domainId, enabled: u.enabled, defaultProjectId: u.defaultProjectId, options: u.options, extra: u.extra });
          if (old.enabled && !u.enabled) ctx.revoke({ userId: id });
          outcome = 'updated';
        } else {
          outcome = 'skipped';
        }
        ctx.outcomes.set(`user:${id}`, outcome);
        t.count(outcome);
      }
      for (const u of await ctx.insert(UserEntity, fresh)) {
        ctx.outcomes.delete(`user:${u.id}`);
        t.refusedByDatabase(ctx.accepted.users, u.id);
      }
    }
  },
};

/** `user_option` rows: the ones Lintel has go with their user; the others are reported. */
export const userOptionsStep: Step = {
  name: 'user options',
  count: (ctx) => ctx.countRows('user_option'),
  async run(ctx, t) {
    for (const rows of (await userOptions(ctx)).values()) {
      for (const o of rows) {
        const outcome = ctx.outcomes.get(`user:${o.userId}`);
        const id = `${o.userId}/${USER_OPTIONS[o.optionId] ?? OTHER_USER_OPTIONS[o.optionId] ?? o.optionId}`;
        if (!outcome) t.refuse(id, `its user ${o.userId} was not imported`);
        else if (USER_OPTIONS[o.optionId]) t.count(outcome);
        else t.refuse(id, `not imported: Lintel does not have the user option ${OTHER_USER_OPTIONS[o.optionId] ?? o.optionId}`);
      }
    }
  },
};

/**
 * Password history, oldest first, so the newest is the user's current password in Lintel too.
 * A re-run appends what Keystone has and Lintel has not (by hash); nothing is taken away.
 */
export const passwords: Step = {
  name: 'passwords',
  count: (ctx) => ctx.countRows('password'),
  async run(ctx, t) {
    const q = ctx.src.q;
    const have = new Map<string, PasswordEntity[]>();
    for (const p of await ctx.m.find(PasswordEntity, { order: { id: 'ASC' } })) have.set(p.userId, [...(have.get(p.userId) ?? []), p]);
    const sql = `SELECT l.user_id, p.id, p.password_hash, p.created_at, p.created_at_int, p.expires_at, p.expires_at_int, p.self_service
      FROM ${q('password')} p JOIN ${q('local_user')} l ON l.id = p.local_user_id`;
    const orphans = await ctx.countRows('password', `local_user_id NOT IN (SELECT id FROM ${q('local_user')})`);
    for (let i = 0; i < orphans; i++) t.refuse('-', 'its local user does not exist');
    for await (const rows of ctx.pages(sql, 'l.user_id, p.created_at_int, p.id')) {
      const fresh: Array<Omit<PasswordEntity, 'id'>> = [];
      for (const r of rows) {
        const userId = String(r.user_id);
        const hash = text(r.password_hash);
        const id = `${userId}#${r.id}`;
        if (!ctx.accepted.users.has(userId)) {
          t.refuse(id, `its user ${userId} was not imported`);
          continue;
        }
        if (!hash) {
          t.refuse(id, 'it has no hash');
          continue;
        }
        if (!isVerifiableHash(hash)) {
          t.refuse(id, `its hash format (${hash.slice(0, hash.indexOf('$', 1) + 1) || hash.slice(0, 4)}) is not one Lintel verifies`);
          continue;
        }
        const createdAt = micros(r.created_at_int) ?? instant(r.created_at) ?? ctx.now;
        const expiresAt = micros(r.expires_at_int) ?? instant(r.expires_at);
        const history = have.get(userId) ?? [];
        const same = history.find((p) => p.passwordHash === hash);
        if (same) {
          if (sameInstant(same.expiresAt, expiresAt)) t.count('skipped');
          else {
            await ctx.update(PasswordEntity, { id: same.id }, { expiresAt });
            t.count('updated');
          }
          continue;
        }
        // A password Lintel has not seen for a user it already had: the user's tokens go.
        if (history.length) ctx.revoke({ userId });
        const row = { userId, passwordHash: hash, createdAt, expiresAt, selfService: bool(r.self_service, false) };
        have.set(userId, [...history, { id: -1, ...row }]);
        fresh.push(row);
        t.count('created');
      }
      await ctx.insert(PasswordEntity, fresh as PasswordEntity[]);
    }
  },
};

export const groups: Step = {
  name: 'groups',
  count: (ctx) => ctx.countRows('group'),
  async run(ctx, t) {
    const existing = new Map((await ctx.m.find(GroupEntity)).map((g) => [g.id, g]));
    const key = (domainId: string, name: string) => `${domainId}\n${ctx.nameKey(name)}`;
    const byName = new Map([...existing.values()].map((g) => [key(g.domainId, g.name), g.id]));
    for await (const rows of ctx.pages(`SELECT id, domain_id, name, description, extra FROM ${ctx.src.q('group')}`, 'id')) {
      const fresh: GroupEntity[] = [];
      for (const r of rows) {
        const id = String(r.id);
        const extra = jsonObject(r.extra);
        const g: GroupEntity = { id, name: String(r.name), domainId: String(r.domain_id), description: text(r.description), extra: extra ?? {} };
        if (!extra) t.refuse(id, 'its extra attributes are not a JSON object');
        else if (!ctx.accepted.domains.has(g.domainId)) t.refuse(id, `its domain ${g.domainId} was not imported`);
        else if (byName.has(key(g.domainId, g.name)) && byName.get(key(g.domainId, g.name)) !== id) {
          t.refuse(id, `Lintel already has a group named ${g.name} in domain ${g.domainId} under another id (${byName.get(key(g.domainId, g.name))})`);
        } else {
          const old = existing.get(id);
          ctx.accepted.groups.add(id);
          byName.set(key(g.domainId, g.name), id);
          if (!old) {
            fresh.push(g);
            t.count('created');
          } else if (old.name !== g.name || old.domainId !== g.domainId || old.description !== g.description || !sameJson(old.extra ?? {}, g.extra)) {
            await ctx.update(GroupEntity, { id }, { name: g.name, domainId: g.domainId, description: g.description, extra: g.extra });
            t.count('updated');
          } else {
            t.count('skipped');
          }
        }
      }
      for (const g of await ctx.insert(GroupEntity, fresh)) t.refusedByDatabase(ctx.accepted.groups, g.id);
    }
  },
};

export const memberships: Step = {
  name: 'group memberships',
  count: (ctx) => ctx.countRows('user_group_membership'),
  async run(ctx, t) {
    const have = new Set((await ctx.m.find(GroupMembershipEntity)).map((r) => `${r.userId}\n${r.groupId}`));
    for await (const rows of ctx.pages(`SELECT user_id, group_id FROM ${ctx.src.q('user_group_membership')}`, 'user_id, group_id')) {
      const fresh: GroupMembershipEntity[] = [];
      for (const r of rows) {
        const userId = String(r.user_id);
        const groupId = String(r.group_id);
        if (!ctx.accepted.users.has(userId)) t.refuse(`${userId}/${groupId}`, `its user ${userId} was not imported`);
        else if (!ctx.accepted.groups.has(groupId)) t.refuse(`${userId}/${groupId}`, `its group ${groupId} was not imported`);
        else if (have.has(`${userId}\n${groupId}`)) t.count('skipped');
        else {
          have.add(`${userId}\n${groupId}`);
          fresh.push({ userId, groupId });
          t.count('created');
        }
      }
      await ctx.insert(GroupMembershipEntity, fresh);
    }
  },
};
