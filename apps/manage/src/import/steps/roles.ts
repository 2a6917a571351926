import { ImpliedRoleEntity, NULL_DOMAIN_ID, RoleEntity } from '@lintel/domain';
import { jsonObject, jsonValue, sameJson, text, type Step } from '../context.js';

/** Keystone's role options by their stored id: only `immutable` exists. */
const ROLE_OPTIONS: Record<string, string> = { IMMU: 'immutable' };

export const roles: Step = {
  name: 'roles',
  count: (ctx) => ctx.countRows('role'),
  async run(ctx, t) {
    const q = ctx.src.q;
    const options = new Map<string, Record<string, unknown>>();
    const unknownOptions = new Map<string, string[]>();
    if (await ctx.hasTable('role_option')) {
      for (const r of await ctx.src.all(`SELECT role_id, option_id, option_value FROM ${q('role_option')}`)) {
        const name = ROLE_OPTIONS[String(r.option_id)];
        const value = jsonValue(r.option_value);
        if (!name || (typeof value !== 'boolean' && value !== null)) {
          unknownOptions.set(String(r.role_id), [...(unknownOptions.get(String(r.role_id)) ?? []), String(r.option_id)]);
        } else if (value !== null) {
          options.set(String(r.role_id), { ...options.get(String(r.role_id)), [name]: value });
        }
      }
    }
    const existing = new Map((await ctx.m.find(RoleEntity)).map((r) => [r.id, r]));
    const key = (domainId: string, name: string) => `${domainId}\n${ctx.nameKey(name)}`;
    const byName = new Map([...existing.values()].map((r) => [key(r.domainId, r.name), r.id]));
    for await (const rows of ctx.pages(`SELECT id, name, domain_id, description, extra FROM ${q('role')}`, 'id')) {
      const fresh: RoleEntity[] = [];
      for (const r of rows) {
        const id = String(r.id);
        const domainId = text(r.domain_id) ?? NULL_DOMAIN_ID;
        const extra = jsonObject(r.extra);
        if (!extra) {
          t.refuse(id, 'its extra attributes are not a JSON object');
          continue;
        }
        if (unknownOptions.has(id)) {
          t.refuse(id, `it has role options Lintel does not know (${unknownOptions.get(id)!.join(', ')})`);
          continue;
        }
        if (domainId !== NULL_DOMAIN_ID && !ctx.accepted.domains.has(domainId)) {
          t.refuse(id, `its domain ${domainId} was not imported`);
          continue;
        }
        const e: RoleEntity = { id, name: String(r.name), domainId, description: text(r.description), options: options.get(id) ?? {}, extra };
        const holder = byName.get(key(domainId, e.name));
        if (holder !== undefined && holder !== id) {
          t.refuse(id, `Lintel already has a role named ${e.name} ${domainId === NULL_DOMAIN_ID ? '(global)' : `in domain ${domainId}`} under another id (${holder}): was this database bootstrapped before the import?`);
          continue;
        }
        const old = existing.get(id);
        ctx.accepted.roles.add(id);
        byName.set(key(domainId, e.name), id);
        if (!old) {
          fresh.push(e);
          t.count('created');
        } else if (old.name !== e.name || old.domainId !== e.domainId || old.description !== e.description || !sameJson(old.options ?? {}, e.options)
          || !sameJson(old.extra ?? {}, e.extra)) {
          await ctx.update(RoleEntity, { id }, { name: e.name, domainId: e.domainId, description: e.description, options: e.options, extra: e.extra });
          t.count('updated');
        } else {
          t.count('skipped');
        }
      }
      for (const r of await ctx.insert(RoleEntity, fresh)) t.refusedByDatabase(ctx.accepted.roles, r.id);
    }
  },
};

export const impliedRoles: Step = {
  name: 'implied roles',
  count: (ctx) => ctx.countRows('implied_role'),
  async run(ctx, t) {
    const have = new Set((await ctx.m.find(ImpliedRoleEntity)).map((r) => `${r.priorRoleId}\n${r.impliedRoleId}`));
    for await (const rows of ctx.pages(`SELECT prior_role_id, implied_role_id FROM ${ctx.src.q('implied_role')}`, 'prior_role_id, implied_role_id')) {
      const fresh: ImpliedRoleEntity[] = [];
      for (const r of rows) {
        const prior = String(r.prior_role_id);
        const implied = String(r.implied_role_id);
        const missing = [prior, implied].find((id) => !ctx.accepted.roles.has(id));
        if (missing) t.refuse(`${prior}->${implied}`, `role ${missing} was not imported`);
        else if (have.has(`${prior}\n${implied}`)) t.count('skipped');
        else {
          have.add(`${prior}\n${implied}`);
          fresh.push({ priorRoleId: prior, impliedRoleId: implied });
          t.count('created');
        }
      }
      await ctx.insert(ImpliedRoleEntity, fresh);
    }
  },
};
