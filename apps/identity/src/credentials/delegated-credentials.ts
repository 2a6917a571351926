import { DELEGATED_CREDENTIALS, isDelegated, isDelegatedMethod, refuseOutsideDelegation, scopedProject, type Principal } from '@lintel/auth';
import type { LintelConfig } from '@lintel/config';
import { ForbiddenError, isEc2 } from '@lintel/domain';

/**
 * Delegated tokens and the credential APIs (docs/keystone-trusts.md, "EC2 credentials"). As
 * Keystone 22 with its security updates: a trust-scoped token, or one from a delegated method,
 * gets 403 on `/v3/credentials` and OS-EC2. With `LINTEL_TRUST_EC2_CREDENTIALS`, a trust-scoped
 * token (obtained with a password or token) may use the ec2 credentials of its own project, as
 * upstream Keystone lets it.
 */
export function requirePrimaryAuth(
  caller: Principal, cfg: LintelConfig, credential: { type: string; projectId: string | null }, what: 'Credential' | 'EC2 credential' = 'Credential',
): void {
  if (!isDelegated(caller)) return;
  // An application credential's own token: its project only (docs/keystone-application-credentials.md, "EC2 credentials").
  if (caller.claims.appCredId && caller.claims.methods.includes('application_credential')) {
    refuseOutsideDelegation(caller, credential.projectId, what);
    return;
  }
  if (cfg.credential.trustEc2 && caller.claims.trustId && !isDelegatedMethod(caller) && isEc2(credential.type)) {
    if (credential.projectId !== scopedProject(caller)) throw new ForbiddenError('Credential project does not match the project scope of the delegated token');
    return;
  }
  throw new ForbiddenError(DELEGATED_CREDENTIALS);
}

/** Same decision without throwing (lists drop what the caller may not see). */
export function allowsPrimaryAuth(caller: Principal, cfg: LintelConfig, credential: { type: string; projectId: string | null }): boolean {
  try {
    requirePrimaryAuth(caller, cfg, credential);
    return true;
  } catch {
    return false;
  }
}

/** An ec2 blob created with a trust-scoped token records the trust (Keystone's `trust_id`); other blobs are left alone. */
export function withTrust(caller: Principal, type: string, blob: string): string {
  const trustId = caller.claims.trustId;
  if (!trustId || !isEc2(type)) return blob;
  let parsed: unknown;
  try {
    parsed = JSON.parse(blob);
  } catch {
    return blob;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return blob;
  return JSON.stringify({ ...(parsed as Record<string, unknown>), trust_id: trustId });
}
