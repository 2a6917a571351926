import { CredentialEntity, ec2Access, isEc2 } from '@lintel/domain';
import { jsonObject, sameJson, text, type Step } from '../context.js';

/**
 * Credentials of every type (ec2, totp, cert, ...): each blob is opened with Keystone's
 * credential keys and sealed again with Lintel's (docs/migrating-from-keystone.md,
 * "Credentials"). An ec2 credential keeps its id (sha256 of its access key, in both) and its
 * access key, so a client signing with it goes on working against Lintel's `/v3/ec2tokens`.
 */
export const credentials: Step = {
  name: 'credentials',
  count: (ctx) => ctx.countRows('credential'),
  async run(ctx, t) {
    const existing = new Map((await ctx.m.find(CredentialEntity)).map((c) => [c.id, c]));
    const byAccess = new Map([...existing.values()].filter((c) => c.accessKey !== null).map((c) => [c.accessKey!, c.id]));
    for await (const rows of ctx.pages(`SELECT id, user_id, project_id, type, extra, key_hash, encrypted_blob FROM ${ctx.src.q('credential')}`, 'id')) {
      const fresh: CredentialEntity[] = [];
      for (const r of rows) {
        const id = String(r.id);
        const userId = String(r.user_id);
        const projectId = text(r.project_id);
        const type = String(r.type);
        const extra = jsonObject(r.extra);
        if (!extra) {
          t.refuse(id, 'its extra attributes are not a JSON object');
          continue;
        }
        if (!ctx.accepted.users.has(userId)) {
          t.refuse(id, `its user ${userId} was not imported`);
          continue;
        }
        if (projectId !== null && !ctx.accepted.projects.has(projectId)) {
          t.refuse(id, `its project ${projectId} was not imported`);
          continue;
        }
        const plain = ctx.fernet!.decrypt(r.encrypted_blob as string | Buffer, text(r.key_hash));
        if (plain === null) {
          t.refuse(id, `none of the keys in ${ctx.fernet!.dir} decrypts it (it was encrypted with key ${String(r.key_hash).slice(0, 8)}…)`);
          continue;
        }
        const blob = keystoneBlob(type, plain);
        if (blob === undefined) {
          t.refuse(id, 'its decrypted blob is not the JSON Keystone writes for an ec2 credential');
          continue;
        }
        let accessKey: string | null = null;
        if (isEc2(type)) {
          try {
            accessKey = ec2Access(blob);
          } catch {
            t.refuse(id, 'an ec2 credential whose blob has no access key');
            continue;
          }
          if (!projectId) {
            t.refuse(id, 'an ec2 credential without a project');
            continue;
          }
          const holder = byAccess.get(accessKey);
          if (holder !== undefined && holder !== id) {
            t.refuse(id, `Lintel already has another credential (${holder}) with this access key`);
            continue;
          }
        }
        const old = existing.get(id);
        if (!old) {
          const sealed = ctx.cipher.seal(blob);
          fresh.push({
            id, userId, projectId, type, accessKey, encryptedBlob: sealed.ciphertext, keyHash: sealed.keyHash, state: 'active', issuer: 'keystone',
            expiresAt: null, createdAt: ctx.now, updatedAt: ctx.now, lastUsedAt: null, lastUsedService: null, extra,
          });
          if (accessKey) byAccess.set(accessKey, id);
          t.count('created');
          continue;
        }
        const same = old.userId === userId && old.projectId === projectId && old.type === type && sameJson(old.extra ?? {}, extra)
          && ctx.cipher.open({ ciphertext: old.encryptedBlob, keyHash: old.keyHash }) === blob;
        if (same) {
          t.count('skipped');
          continue;
        }
        const sealed = ctx.cipher.seal(blob);
        await ctx.update(CredentialEntity, { id }, {
          userId, projectId, type, accessKey, encryptedBlob: sealed.ciphertext, keyHash: sealed.keyHash, extra, updatedAt: ctx.now,
        });
        if (old.accessKey && old.accessKey !== accessKey) byAccess.delete(old.accessKey);
        if (accessKey) byAccess.set(accessKey, id);
        t.count('updated');
      }
      for (const c of await ctx.insert(CredentialEntity, fresh)) {
        t.uncount('created');
        t.refuse(c.id, 'Lintel already has another credential with this access key (as its database compares them)');
      }
    }
  },
};

/**
 * The blob as Keystone's API shows it. Keystone encrypts the blob of a credential of type `ec2`
 * (exactly) as JSON text of it (the blob is itself JSON text, so it is encoded twice), any
 * other type's blob as it is.
 */
function keystoneBlob(type: string, plain: string): string | undefined {
  if (type !== 'ec2') return plain;
  try {
    const v: unknown = JSON.parse(plain);
    if (typeof v === 'string') return v;
    return v !== null && typeof v === 'object' ? JSON.stringify(v) : undefined;
  } catch {
    return undefined;
  }
}
