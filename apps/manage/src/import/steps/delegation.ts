import {
  AccessRuleEntity, ApplicationCredentialAccessRuleEntity, ApplicationCredentialEntity, ApplicationCredentialRoleEntity,
  KEYSTONE_SECRET_HASH, TrustEntity, TrustRoleEntity, isVerifiableHash,
} from '@lintel/domain';
import { bool, instant, jsonObject, sameJson, text, type ImportContext, type Step } from '../context.js';

/**
 * Delegations: OS-TRUST trusts (with the roles they delegate) and application credentials (with
 * their roles and access rules), ids kept, so that a trust id a service holds and an
 * application credential's id and secret go on working against Lintel.
 */

/** Exact instants (trusts keep their fraction); null equals only null. */
const sameTime = (a: Date | null, b: Date | null) => (a === null || b === null ? a === b : a.getTime() === b.getTime());

/** Keystone's `*_int` microseconds to a Date to the millisecond, else its DATETIME column. */
function exactInstant(intValue: unknown, dateValue: unknown): Date | null {
  const n = Number(intValue);
  if (Number.isFinite(n) && n > 0) return new Date(Math.floor(n / 1000));
  return instant(dateValue);
}

/** `table.key -> values` of a two-column source table. */
async function grouped(ctx: ImportContext, table: string, key: string, value: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!(await ctx.hasTable(table))) return out;
  for (const r of await ctx.src.all(`SELECT ${key} AS k, ${value} AS v FROM ${ctx.src.q(table)} ORDER BY ${key}, ${value}`)) {
    out.set(String(r.k), [...(out.get(String(r.k)) ?? []), String(r.v)]);
  }
  return out;
}

/**
 * What Keystone leaves in a trust's `extra` that is not an extra attribute: the request's own
 * `roles` (the real ones are `trust_role` rows) and anything else the trust API reads itself.
 */
const TRUST_ATTRIBUTES = ['id', 'links', 'roles', 'roles_links', 'trustor_user_id', 'trustee_user_id', 'project_id', 'impersonation', 'expires_at',
  'remaining_uses', 'deleted_at', 'allow_redelegation', 'redelegation_count', 'redelegated_trust_id'];

function trustExtra(v: unknown): Record<string, unknown> | undefined {
  const extra = jsonObject(v);
  return extra && Object.fromEntries(Object.entries(extra).filter(([k]) => !TRUST_ATTRIBUTES.includes(k)));
}

export const trusts: Step = {
  name: 'trusts',
  count: (ctx) => ctx.countRows('trust'),
  async run(ctx, t) {
    const q = ctx.src.q;
    const roles = await grouped(ctx, 'trust_role', 'trust_id', 'role_id');
    const rows = await ctx.src.all(`SELECT * FROM ${q('trust')} ORDER BY id`);
    const all = new Map(rows.map((r) => [String(r.id), r]));
    const existing = new Map((await ctx.m.find(TrustEntity)).map((x) => [x.id, x]));
    const haveRoles = new Set((await ctx.m.find(TrustRoleEntity)).map((x) => `${x.trustId}\n${x.roleId}`));
    const done = new Set<string>();
    // A redelegated trust names the one it came from: that one first.
    const visit = async (id: string, path: Set<string>): Promise<void> => {
      if (done.has(id)) return;
      done.add(id);
      const r = all.get(id)!;
      const parent = text(r.redelegated_trust_id);
      if (parent && all.has(parent) && !path.has(parent)) await visit(parent, new Set(path).add(id));
      const e: TrustEntity = {
        id, trustorUserId: String(r.trustor_user_id), trusteeUserId: String(r.trustee_user_id), projectId: text(r.project_id),
        impersonation: bool(r.impersonation, false), expiresAt: exactInstant(r.expires_at_int, r.expires_at),
        remainingUses: r.remaining_uses === null || r.remaining_uses === undefined ? null : Number(r.remaining_uses),
        redelegatedTrustId: parent, redelegationCount: r.redelegation_count === null || r.redelegation_count === undefined ? null : Number(r.redelegation_count),
        deletedAt: instant(r.deleted_at), extra: trustExtra(r.extra) ?? {},
      };
      const roleIds = roles.get(id) ?? [];
      const missing = [
        ...[e.trustorUserId, e.trusteeUserId].filter((u) => !ctx.accepted.users.has(u)).map((u) => `user ${u}`),
        ...(e.projectId && !ctx.accepted.projects.has(e.projectId) ? [`project ${e.projectId}`] : []),
        ...roleIds.filter((x) => !ctx.accepted.roles.has(x)).map((x) => `role ${x}`),
        ...(parent && !ctx.accepted.trusts.has(parent) ? [`trust ${parent}`] : []),
      ];
      if (!trustExtra(r.extra)) return t.refuse(id, 'its extra attributes are not a JSON object');
      if (missing.length) return t.refuse(id, `${missing.join(', ')} ${missing.length > 1 ? 'were' : 'was'} not imported`);
      const old = existing.get(id);
      ctx.accepted.trusts.add(id);
      const freshRoles = roleIds.filter((x) => !haveRoles.has(`${id}\n${x}`)).map((roleId) => ({ trustId: id, roleId }));
      if (!old) {
        if ((await ctx.insert(TrustEntity, [e])).length) {
          ctx.accepted.trusts.delete(id);
          return t.refuse(id, 'Lintel already has a trust between the same users on the same project, expiring at the same time');
        }
        await ctx.insert(TrustRoleEntity, freshRoles);
        return t.count('created');
      }
      // A use in either system counts: the lower number of remaining uses stands.
      const remainingUses = old.remainingUses === null || e.remainingUses === null ? e.remainingUses : Math.min(old.remainingUses, e.remainingUses);
      const same = old.trustorUserId === e.trustorUserId && old.trusteeUserId === e.trusteeUserId && old.projectId === e.projectId
        && old.impersonation === e.impersonation && sameTime(old.expiresAt, e.expiresAt) && old.remainingUses === remainingUses
        && old.redelegatedTrustId === e.redelegatedTrustId && old.redelegationCount === e.redelegationCount && sameTime(old.deletedAt, e.deletedAt)
        && sameJson(old.extra ?? {}, e.extra) && !freshRoles.length;
      if (same) return t.count('skipped');
      await ctx.update(TrustEntity, { id }, {
        trustorUserId: e.trustorUserId, trusteeUserId: e.trusteeUserId, projectId: e.projectId, impersonation: e.impersonation, expiresAt: e.expiresAt,
        remainingUses, redelegatedTrustId: e.redelegatedTrustId, redelegationCount: e.redelegationCount, deletedAt: e.deletedAt, extra: e.extra,
      });
      await ctx.insert(TrustRoleEntity, freshRoles);
      // A trust Keystone deleted since the last run takes its Lintel tokens along.
      if (!old.deletedAt && e.deletedAt) ctx.revoke({ trustId: id });
      t.count('updated');
    };
    for (const id of all.keys()) await visit(id, new Set());
  },
};

/**
 * Access rules (the user's, shared by their application credentials): kept under the id
 * clients see (`external_id`); Keystone's internal integer ids only link them to credentials.
 */
export const accessRules: Step = {
  name: 'access rules',
  count: (ctx) => ctx.countRows('access_rule'),
  async run(ctx, t) {
    const existing = new Map((await ctx.m.find(AccessRuleEntity)).map((x) => [x.externalId, x]));
    const byRule = new Map([...existing.values()].map((x) => [`${x.userId}\n${x.service}\n${x.path}\n${x.method}`, x.externalId]));
    const fresh: Array<Omit<AccessRuleEntity, 'id'>> = [];
    for await (const rows of ctx.pages(`SELECT id, service, path, method, external_id, user_id FROM ${ctx.src.q('access_rule')}`, 'id')) {
      for (const r of rows) {
        const e = { externalId: String(r.external_id), userId: String(r.user_id), service: String(r.service ?? ''), path: String(r.path ?? ''), method: String(r.method ?? '') };
        const key = `${e.userId}\n${e.service}\n${e.path}\n${e.method}`;
        if (!ctx.accepted.users.has(e.userId)) {
          t.refuse(e.externalId, `its user ${e.userId} was not imported`);
          continue;
        }
        const holder = byRule.get(key);
        if (holder !== undefined && holder !== e.externalId) {
          t.refuse(e.externalId, `the user already has this rule in Lintel under another id (${holder})`);
          continue;
        }
        ctx.accessRules.set(String(r.id), e.externalId);
        const old = existing.get(e.externalId);
        if (!old) {
          byRule.set(key, e.externalId);
          fresh.push(e);
          t.count('created');
        } else if (old.userId === e.userId && old.service === e.service && old.path === e.path && old.method === e.method) {
          t.count('skipped');
        } else {
          await ctx.update(AccessRuleEntity, { id: old.id }, e);
          t.count('updated');
        }
      }
    }
    await ctx.insert(AccessRuleEntity, fresh as AccessRuleEntity[]);
  },
};

/**
 * Application credentials: Keystone hashes the secret itself (passlib, bcrypt by default, which
 * reads its first 72 bytes), Lintel the SHA-256 of it; the imported hash is kept as it is, marked
 * as Keystone's, and checked against the secret as Keystone checked it.
 */
export const applicationCredentials: Step = {
  name: 'application credentials',
  count: (ctx) => ctx.countRows('application_credential'),
  async run(ctx, t) {
    const q = ctx.src.q;
    const roles = await grouped(ctx, 'application_credential_role', 'application_credential_id', 'role_id');
    const rules = await grouped(ctx, 'application_credential_access_rule', 'application_credential_id', 'access_rule_id');
    const existing = new Map((await ctx.m.find(ApplicationCredentialEntity)).map((x) => [x.id, x]));
    const byName = new Map([...existing.values()].map((x) => [`${x.userId}\n${ctx.nameKey(x.name)}`, x.id]));
    const haveRoles = new Set((await ctx.m.find(ApplicationCredentialRoleEntity)).map((x) => `${x.applicationCredentialId}\n${x.roleId}`));
    const lintelRules = new Map((await ctx.m.find(AccessRuleEntity)).map((x) => [x.externalId, x.id]));
    const haveLinks = new Set((await ctx.m.find(ApplicationCredentialAccessRuleEntity)).map((x) => `${x.applicationCredentialId}\n${x.accessRuleId}`));
    for await (const rows of ctx.pages(`SELECT internal_id, id, name, secret_hash, description, user_id, project_id, expires_at, ${q('system')} AS sys, unrestricted FROM ${q('application_credential')}`, 'internal_id')) {
      for (const r of rows) {
        const id = String(r.id);
        const internal = String(r.internal_id);
        const hash = text(r.secret_hash) ?? '';
        const e: ApplicationCredentialEntity = {
          id, name: String(r.name), secretHash: `${KEYSTONE_SECRET_HASH}${hash}`, description: text(r.description), userId: String(r.user_id),
          projectId: text(r.project_id), system: text(r.sys),
          expiresAt: r.expires_at === null || r.expires_at === undefined ? null : BigInt(String(r.expires_at)),
          unrestricted: r.unrestricted === null || r.unrestricted === undefined ? null : bool(r.unrestricted, false),
        };
        const roleIds = roles.get(internal) ?? [];
        const ruleIds = (rules.get(internal) ?? []).map((x) => ctx.accessRules.get(x));
        const missing = [
          ...(!ctx.accepted.users.has(e.userId) ? [`user ${e.userId}`] : []),
          ...(e.projectId && !ctx.accepted.projects.has(e.projectId) ? [`project ${e.projectId}`] : []),
          ...roleIds.filter((x) => !ctx.accepted.roles.has(x)).map((x) => `role ${x}`),
          ...(ruleIds.some((x) => x === undefined) ? ['an access rule'] : []),
        ];
        if (missing.length) {
          t.refuse(id, `${missing.join(', ')} ${missing.length > 1 ? 'were' : 'was'} not imported`);
          continue;
        }
        if (!isVerifiableHash(hash)) {
          t.refuse(id, `its secret's hash format (${hash.slice(0, hash.indexOf('$', 1) + 1) || hash.slice(0, 4)}) is not one Lintel verifies`);
          continue;
        }
        const holder = byName.get(`${e.userId}\n${ctx.nameKey(e.name)}`);
        if (holder !== undefined && holder !== id) {
          t.refuse(id, `the user already has an application credential named ${e.name} in Lintel under another id (${holder})`);
          continue;
        }
        byName.set(`${e.userId}\n${ctx.nameKey(e.name)}`, id);
        const freshRoles = roleIds.filter((x) => !haveRoles.has(`${id}\n${x}`)).map((roleId) => ({ applicationCredentialId: id, roleId }));
        // Access rules were written by the step before: their Lintel ids are known only outside a dry run.
        const links = (ruleIds as string[]).map((externalId) => lintelRules.get(externalId)).filter((x): x is number => x !== undefined)
          .filter((accessRuleId) => !haveLinks.has(`${id}\n${accessRuleId}`)).map((accessRuleId) => ({ applicationCredentialId: id, accessRuleId }));
        const old = existing.get(id);
        if (!old) {
          await ctx.insert(ApplicationCredentialEntity, [e]);
          t.count('created');
        } else if (old.name !== e.name || old.secretHash !== e.secretHash || old.description !== e.description || old.userId !== e.userId
          || old.projectId !== e.projectId || old.system !== e.system || old.expiresAt !== e.expiresAt || old.unrestricted !== e.unrestricted || freshRoles.length || links.length) {
          await ctx.update(ApplicationCredentialEntity, { id }, { ...e });
          if (old.secretHash !== e.secretHash) ctx.revoke({ appCredId: id });
          t.count('updated');
        } else {
          t.count('skipped');
        }
        await ctx.insert(ApplicationCredentialRoleEntity, freshRoles);
        await ctx.insert(ApplicationCredentialAccessRuleEntity, links);
      }
    }
  },
};

