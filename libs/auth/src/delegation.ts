import { Injectable } from '@nestjs/common';
import { ForbiddenError } from '@lintel/domain';
import type { Principal } from './principal.js';
import { PRIMARY_AUTH_METHODS } from './token-claims.js';

/** True when the token came from a delegated credential (no methods at all counts as delegated; docs/keystone-trusts.md, "Delegated tokens"). */
export function isDelegatedMethod(p: Principal): boolean {
  const methods = p.claims.methods;
  return !methods.length || methods.some((m) => !PRIMARY_AUTH_METHODS.has(m));
}

/**
 * Decides whether a token issued from an application credential may manage trusts. The module
 * that implements application credentials binds its own lookup (`{ provide: AppCredRestriction,
 * useClass: ... }` in AuthModule); until then, and by default, none may: Keystone 22 as shipped
 * with its security updates refuses every application credential token here, unrestricted ones
 * included, unless `[security_compliance] allow_insecure_application_credential_trust_escalation`
 * is set (Keystone 22 as first released let unrestricted ones through).
 */
@Injectable()
export class AppCredRestriction {
  /** Whether the application credential the token was issued from (`claims.appCredId`) may manage trusts. */
  mayManageTrusts(_p: Principal & { claims: { appCredId: string } }): boolean | Promise<boolean> {
    return false;
  }
}

/** Keystone's refusal of a delegated token on the trust API. */
export const DELEGATED_TRUSTS = 'Delegated tokens cannot manage trusts';

/**
 * Keystone's check before any trust operation: a token from a delegated method (EC2 credential,
 * OAuth1, an application credential the restriction does not clear) gets 403. A trust-scoped
 * token obtained with a password or token is not delegated by method: managing trusts with it is
 * redelegation.
 */
export async function refuseDelegatedForTrusts(p: Principal, restriction: AppCredRestriction): Promise<void> {
  if (!isDelegatedMethod(p)) return;
  const appCredId = p.claims.appCredId;
  if (appCredId && p.claims.methods.includes('application_credential') && await restriction.mayManageTrusts(p as Principal & { claims: { appCredId: string } })) return;
  throw new ForbiddenError(DELEGATED_TRUSTS);
}

/** Keystone's refusal of a delegated token on `/v3/credentials` and OS-EC2. */
export const DELEGATED_CREDENTIALS = 'Delegated tokens cannot access credentials directly';
