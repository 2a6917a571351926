import { DomainConfigEntity } from '@lintel/domain';
import { canonical, jsonValue, type Step } from '../context.js';

/**
 * Domain-specific configuration (`/v3/domains/{id}/config`): Keystone keeps the options that may
 * be shown in `whitelisted_config` and the sensitive ones (`ldap.password`) in
 * `sensitive_config`, each value as JSON text. Lintel seals the sensitive ones with its
 * credential keys.
 */
export const domainConfigs: Step = {
  name: 'domain configs',
  count: async (ctx) => (await ctx.countRows('whitelisted_config')) + (await ctx.countRows('sensitive_config')),
  async run(ctx, t) {
    const key = (d: string, g: string, o: string) => `${d}\n${g}\n${o}`;
    const existing = new Map((await ctx.m.find(DomainConfigEntity)).map((c) => [key(c.domainId, c.group, c.option), c]));
    const q = ctx.src.q;
    for (const [table, sensitive] of [['whitelisted_config', false], ['sensitive_config', true]] as const) {
      if (!(await ctx.hasTable(table))) continue;
      for await (const rows of ctx.pages(`SELECT domain_id, ${q('group')} AS grp, ${q('option')} AS opt, value FROM ${q(table)}`, `domain_id, ${q('group')}, ${q('option')}`)) {
        for (const r of rows) {
          const [domainId, group, option] = [String(r.domain_id), String(r.grp), String(r.opt)];
          const id = `${domainId}/${group}.${option}`;
          const value = jsonValue(r.value);
          if (value === undefined) {
            t.refuse(id, 'its value is not JSON');
            continue;
          }
          if (!ctx.accepted.domains.has(domainId)) {
            t.refuse(id, `its domain ${domainId} was not imported`);
            continue;
          }
          const textValue = canonical(value);
          const old = existing.get(key(domainId, group, option));
          if (old) {
            const oldValue = old.sensitive ? ctx.cipher.open({ ciphertext: old.value, keyHash: old.keyHash! }) : old.value;
            if (old.sensitive === sensitive && canonical(JSON.parse(oldValue)) === textValue) {
              t.count('skipped');
              continue;
            }
          }
          const sealed = sensitive ? ctx.cipher.seal(textValue) : undefined;
          const row: DomainConfigEntity = { domainId, group, option, value: sealed?.ciphertext ?? textValue, sensitive, keyHash: sealed?.keyHash ?? null };
          if (old) {
            await ctx.update(DomainConfigEntity, { domainId, group, option }, { value: row.value, sensitive, keyHash: row.keyHash });
            t.count('updated');
          } else {
            await ctx.insert(DomainConfigEntity, [row]);
            t.count('created');
          }
        }
      }
    }
  },
};
