import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger as Pino } from 'pino';
import { identityPublicUrl, type LintelConfig } from '@lintel/config';
import { TokenKeyRepository } from '@lintel/auth';
import { CredentialKeyRing } from '@lintel/credentials';
import { BootstrapService, CredentialService, DEFAULT_DOMAIN_ID, IdentityService, LintelDataSource, type BootstrapResult } from '@lintel/domain';
import type { INestApplicationContext } from '@nestjs/common';

/** Runs pending migrations; returns the names applied. */
export async function migrate(config: LintelConfig): Promise<string[]> {
  const ds = await LintelDataSource.open(config.database);
  try {
    const done = await ds.migrate();
    return done.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}

export function tokenKeys(config: LintelConfig): TokenKeyRepository {
  return new TokenKeyRepository(config.token.keysDir, config.token.maxActiveKeys);
}

export function credentialKeys(config: LintelConfig): CredentialKeyRing {
  return new CredentialKeyRing(CredentialKeyRing.repository(config.credential.keysDir, config.credential.maxActiveKeys));
}

/**
 * Rotates the credential keys unless that would prune a key that still seals rows: then the
 * operator must run `credential-keys migrate` first (Keystone's rule for credential rotation).
 */
export async function rotateCredentialKeys(ctx: INestApplicationContext, config: LintelConfig): Promise<{ primary: number; removed: number[] }> {
  const ring = credentialKeys(config);
  await ring.repo.setup();
  ring.load();
  const inUse = await ctx.get(CredentialService).keyHashesInUse();
  const retired = [...ring.hashes()].filter(([i]) => i > 0).sort(([a], [b]) => a - b);
  const pruned = retired.slice(0, Math.max(0, retired.length + 2 - config.credential.maxActiveKeys));
  const blocking = pruned.filter(([, hash]) => inUse.has(hash)).map(([i]) => i);
  if (blocking.length) {
    throw new Error(`credential key(s) ${blocking.join(', ')} still seal credentials: run "credential-keys migrate" first, then rotate`);
  }
  return ring.repo.rotate();
}

/** Where a generated admin password is kept (mode 0600). */
export function adminPasswordFile(config: LintelConfig): string {
  return join(config.dataDir, 'admin-password');
}

/**
 * Bootstraps the database. The admin password is `LINTEL_ADMIN_PASSWORD`, else the one saved
 * earlier under the data dir, else (first start only) a new random one saved there. The password
 * itself is never logged, only where it is.
 */
export async function bootstrap(ctx: INestApplicationContext, config: LintelConfig, logger: Pino, explicit?: string): Promise<BootstrapResult | undefined> {
  const file = adminPasswordFile(config);
  let password = explicit ?? config.adminPassword ?? (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
  const identity = ctx.get(IdentityService);
  if (!password && (await identity.findUserByName(DEFAULT_DOMAIN_ID, 'admin'))) {
    logger.info('admin user exists and no password was given: its password is left as it is');
  } else if (!password) {
    password = randomBytes(18).toString('base64url');
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    logger.warn({ file }, 'generated the admin password; it is saved in this file (readable by this user only)');
  }
  const result = await ctx.get(BootstrapService).bootstrap({
    adminPassword: password,
    adminProjectName: config.adminProject.name,
    identityUrl: `${identityPublicUrl(config)}/v3/`,
    multicloudUrl: `${config.multicloudPublicUrl}/v1/$(project_id)s`,
  });
  logger.info({ created: result.created, admin_user_id: result.adminUserId, admin_project_id: result.adminProjectId }, 'bootstrap done');
  return result;
}
