import { OAuth1AccessTokenEntity, OAuth1ConsumerEntity } from '@lintel/domain';
import { instant, jsonObject, jsonValue, sameInstant, sameJson, text, type ImportContext, type Step } from '../context.js';

/**
 * OS-OAUTH1 consumers and the access tokens users gave them, ids and secrets kept, so a client
 * that holds a consumer key and an access token goes on signing requests that Lintel accepts
 * (docs/keystone-oauth1.md). Keystone keeps these secrets as they are; Lintel seals them with its
 * credential key ring. Request tokens are short-lived and not taken (steps/not-imported.ts).
 */

interface Sealed {
  encryptedSecret: string;
  keyHash: string;
}

/**
 * Keystone's secret as a Lintel row's columns: the row's own sealing when it already holds that
 * secret (`same`), else sealed anew with the credential key ring.
 */
function sealFor(ctx: ImportContext, secret: string, old?: Sealed): { columns: Sealed; same: boolean } {
  if (old) {
    let held: string | undefined;
    try {
      held = ctx.cipher.open({ ciphertext: old.encryptedSecret, keyHash: old.keyHash });
    } catch {
      held = undefined;
    }
    if (held === secret) return { columns: { encryptedSecret: old.encryptedSecret, keyHash: old.keyHash }, same: true };
  }
  const sealed = ctx.cipher.seal(secret);
  return { columns: { encryptedSecret: sealed.ciphertext, keyHash: sealed.keyHash }, same: false };
}

export const oauth1Consumers: Step = {
  name: 'OAuth1 consumers',
  count: (ctx) => ctx.countRows('consumer'),
  async run(ctx, t) {
    if (!(await ctx.hasTable('consumer'))) return;
    const existing = new Map((await ctx.m.find(OAuth1ConsumerEntity)).map((x) => [x.id, x]));
    for await (const rows of ctx.pages(`SELECT id, description, secret, extra FROM ${ctx.src.q('consumer')}`, 'id')) {
      for (const r of rows) {
        const id = String(r.id);
        const secret = text(r.secret);
        const extra = jsonObject(r.extra);
        const problem = !secret ? 'it has no secret' : !extra ? 'its extra attributes are not a JSON object' : undefined;
        if (problem) {
          t.refuse(id, problem);
          continue;
        }
        ctx.accepted.consumers.add(id);
        const description = text(r.description);
        const old = existing.get(id);
        const sealed = sealFor(ctx, secret!, old);
        if (!old) {
          await ctx.insert(OAuth1ConsumerEntity, [{ id, description, ...sealed.columns, extra: extra!, createdAt: ctx.now }]);
          t.count('created');
        } else if (sealed.same && old.description === description && sameJson(old.extra ?? {}, extra)) {
          t.count('skipped');
        } else {
          await ctx.update(OAuth1ConsumerEntity, { id }, { description, extra, ...sealed.columns });
          t.count('updated');
        }
      }
    }
  },
};

/** Keystone's `role_ids` column: JSON text of a list of role ids. */
function roleIdsOf(v: unknown): string[] | undefined {
  const parsed = jsonValue(v);
  return Array.isArray(parsed) && parsed.every((x) => typeof x === 'string') ? parsed : undefined;
}

export const oauth1AccessTokens: Step = {
  name: 'OAuth1 access tokens',
  count: (ctx) => ctx.countRows('access_token'),
  async run(ctx, t) {
    if (!(await ctx.hasTable('access_token'))) return;
    const existing = new Map((await ctx.m.find(OAuth1AccessTokenEntity)).map((x) => [x.id, x]));
    const sql = `SELECT id, access_secret, authorizing_user_id, project_id, role_ids, consumer_id, expires_at FROM ${ctx.src.q('access_token')}`;
    for await (const rows of ctx.pages(sql, 'id')) {
      for (const r of rows) {
        const id = String(r.id);
        const secret = text(r.access_secret);
        const roleIds = roleIdsOf(r.role_ids);
        const e = {
          id, consumerId: String(r.consumer_id), authorizingUserId: String(r.authorizing_user_id), projectId: String(r.project_id),
          roleIds: roleIds ?? [], expiresAt: instant(r.expires_at),
        };
        const problem = !secret ? 'it has no secret' : !roleIds ? 'its role_ids are not a JSON list of ids' : undefined;
        if (problem) {
          t.refuse(id, problem);
          continue;
        }
        if (e.expiresAt && e.expiresAt.getTime() <= ctx.now.getTime()) {
          t.note('skipped', id, 'expired: its consumer asks for a new one');
          continue;
        }
        const missing = [
          ...(!ctx.accepted.consumers.has(e.consumerId) ? [`consumer ${e.consumerId}`] : []),
          ...(!ctx.accepted.users.has(e.authorizingUserId) ? [`user ${e.authorizingUserId}`] : []),
          ...(!ctx.accepted.projects.has(e.projectId) ? [`project ${e.projectId}`] : []),
          ...e.roleIds.filter((x) => !ctx.accepted.roles.has(x)).map((x) => `role ${x}`),
        ];
        if (missing.length) {
          t.refuse(id, `${missing.join(', ')} ${missing.length > 1 ? 'were' : 'was'} not imported`);
          continue;
        }
        const old = existing.get(id);
        const sealed = sealFor(ctx, secret!, old);
        if (!old) {
          await ctx.insert(OAuth1AccessTokenEntity, [{ ...e, ...sealed.columns, createdAt: ctx.now }]);
          t.count('created');
          continue;
        }
        const sameGrant = old.consumerId === e.consumerId && old.authorizingUserId === e.authorizingUserId && old.projectId === e.projectId
          && sameJson([...(old.roleIds ?? [])].sort(), [...e.roleIds].sort());
        if (sealed.same && sameGrant && sameInstant(old.expiresAt, e.expiresAt)) {
          t.count('skipped');
          continue;
        }
        await ctx.update(OAuth1AccessTokenEntity, { id }, { ...e, ...sealed.columns });
        // A changed grant or secret: the Lintel tokens the old one gave are not the consumer's any more.
        if (!sealed.same || !sameGrant) ctx.revoke({ accessTokenId: id });
        t.count('updated');
      }
    }
  },
};
