import { LRUCache } from 'lru-cache';
import { ForbiddenError } from '@lintel/domain';
import type { Principal } from './principal.js';
import type { TokenService } from './token.service.js';

/**
 * Keystone's refusal of a restricted application credential (created without
 * `unrestricted: true`) managing credentials: its tokens may not create or delete application
 * credentials (`what` = 'application credentials', the default) nor EC2 credentials ('credentials'
 * on `/v3/credentials`). 403 with Keystone's text; other tokens pass.
 */
export function refuseRestrictedAppCred(principal: Principal, what: 'application credentials' | 'credentials' = 'application credentials'): void {
  if (principal.claims.methods.includes('application_credential') && !principal.appCred?.unrestricted) {
    throw new ForbiddenError(`Using method 'application_credential' is not allowed for managing additional ${what}.`);
  }
}

/** A token issued through a delegation (an application credential, a trust, OAuth1) is bound to its project. */
export const carriesDelegation = (principal: Principal): boolean =>
  !!(principal.claims.appCredId || principal.claims.trustId || principal.claims.oauthAccessTokenId);

/**
 * Whether a delegated token may touch a credential of `projectId` (upstream Keystone's project
 * boundary: only its own project, never a credential without one); other tokens always may.
 */
export function withinDelegation(principal: Principal, projectId: string | null | undefined): boolean {
  if (!carriesDelegation(principal)) return true;
  const scope = principal.claims.scope;
  return !!projectId && !!scope && 'project' in scope && scope.project === projectId;
}

/** Keystone's 403 when a delegated token reaches beyond its project (`what`: 'Credential' or 'EC2 credential'). */
export function refuseOutsideDelegation(principal: Principal, projectId: string | null | undefined, what: 'Credential' | 'EC2 credential'): void {
  if (!withinDelegation(principal, projectId)) throw new ForbiddenError(`${what} project does not match the project scope of the delegated token`);
}

const TOKEN = /(\{[^}]*\})|(\*(?=$|[^*]))|(\*\*)|([^{}*])/g;
/** Access-rule path patterns compiled; beyond it the least recently used goes. */
const MAX_COMPILED_PATTERNS = 10_000;
const compiled = new LRUCache<string, RegExp>({ max: MAX_COMPILED_PATTERNS });

/**
 * keystonemiddleware's path matching of an access rule: `*` and `{name}` stand for one path
 * segment, `**` for any run of characters (slashes included), anything else for itself; the
 * whole request path must match. (keystonemiddleware puts literal characters into a regular
 * expression unescaped, so a `.` there matches any character; here it matches a dot.)
 */
export function accessRulePathMatches(requestPath: string, pattern: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    let source = '';
    for (const m of pattern.matchAll(TOKEN)) {
      if (m[1] !== undefined || m[2] !== undefined) source += '[^/]+';
      else if (m[3] !== undefined) source += '.*';
      else source += m[4]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
    re = new RegExp(`^${source}$`, 's');
    compiled.set(pattern, re);
  }
  return re.test(requestPath);
}

/**
 * Whether a request may be served to this caller under its application credential's access
 * rules (keystonemiddleware's check, docs/keystone-application-credentials.md "Access rules"):
 * true without an application credential or when it has no rules; else some rule must name
 * this service type, this method and a path pattern the request path matches.
 */
export function allowedByAccessRules(principal: Principal, service: string, method: string, path: string): boolean {
  const rules = principal.appCred?.accessRules;
  if (!rules?.length) return true;
  return rules.some((r) => r.service === service && r.method === method && accessRulePathMatches(path, r.path));
}

/**
 * An ec2 blob made with `principal`'s token: with `app_cred_id` when that token came from an
 * application credential, so tokens later obtained with the key carry the credential's limits
 * (Keystone records it in `/v3/credentials` blobs; Lintel in OS-EC2 ones too).
 */
export function withAppCredId(blob: string, principal: Principal): string {
  const id = principal.claims.appCredId;
  if (!id) return blob;
  let parsed: unknown;
  try {
    parsed = JSON.parse(blob);
  } catch {
    return blob; // the store refuses it with Keystone's message
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return blob;
  return JSON.stringify({ ...parsed, app_cred_id: id });
}

/**
 * keystonemiddleware's whole access-rule check for a service of type `service` (the catalog
 * type Lintel registers for the dialect): a token whose application credential has access rules
 * is accepted only when the token's catalog lists that type and a rule allows the request.
 * `path` is the request's path as received (no query string).
 */
export async function accessRulesAllow(tokens: TokenService, principal: Principal, service: string, method: string, path: string): Promise<boolean> {
  if (!principal.appCred?.accessRules.length) return true;
  const scope = principal.scope;
  const catalog = await tokens.catalogEntries(scope && 'project' in scope ? scope.project : undefined);
  if (!catalog.some((e) => e.service.type === service)) return false;
  return allowedByAccessRules(principal, service, method, path);
}

/** The path of a request as received, without its query string. */
export function requestPath(req: { url: string; originalUrl?: string }): string {
  const url = req.originalUrl ?? req.url;
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
