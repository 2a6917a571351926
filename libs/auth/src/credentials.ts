import type { DomainEntity, ProjectEntity, RoleEntity, ScopeTarget, UserEntity } from '@lintel/domain';
import type { Credentials } from '@lintel/policy';
import type { TokenClaims } from './token-claims.js';

/** What a caller's policy credentials are made of (a validated token's view, or a user on a scope). */
export interface CredentialSource {
  readonly user: Pick<UserEntity, 'id' | 'name' | 'domainId'>;
  readonly userDomain?: Pick<DomainEntity, 'id' | 'name'> | null;
  readonly scope: ScopeTarget | undefined;
  readonly project?: Pick<ProjectEntity, 'id' | 'name' | 'domainId' | 'isDomain'> | null;
  readonly projectDomain?: Pick<DomainEntity, 'id' | 'name'> | null;
  readonly domain?: Pick<DomainEntity, 'id' | 'name'> | null;
  readonly roles: readonly Pick<RoleEntity, 'id' | 'name'>[];
  readonly claims?: TokenClaims;
  /** The project is the cloud's admin project (LINTEL_ADMIN_PROJECT_*). */
  readonly isAdminProject: boolean;
}

/**
 * The credentials a rule sees, as Keystone hands them to oslo.policy (docs/policy.md,
 * "Credentials"): oslo.context's policy values (`user_id`, `project_id`, `domain_id`,
 * `system_scope`, `roles`, `is_admin_project`, ...) plus `token`, the token as Keystone renders it.
 * `is_admin_project` follows keystonemiddleware: true unless the token is scoped to a domain or to
 * a project other than the admin project.
 */
export function policyCredentials(s: CredentialSource): Credentials {
  const scope = s.scope;
  const projectScoped = !!scope && 'project' in scope;
  const domainScoped = !!scope && 'domain' in scope;
  const system = !!scope && 'system' in scope;
  const userRef = { id: s.user.id, name: s.user.name, domain: { id: s.user.domainId, name: s.userDomain?.name ?? null } };
  const token: Record<string, unknown> = {
    user: userRef,
    roles: s.roles.map((r) => ({ id: r.id, name: r.name })),
  };
  if (s.claims) {
    token.methods = [...s.claims.methods];
    token.audit_ids = [...s.claims.auditIds];
    token.expires_at = new Date(s.claims.expiresAt).toISOString();
    token.issued_at = new Date(s.claims.issuedAt).toISOString();
  }
  if (projectScoped) {
    token.project = { id: scope.project, name: s.project?.name ?? null, domain: { id: s.project?.domainId ?? null, name: s.projectDomain?.name ?? null } };
    token.is_domain = s.project?.isDomain ?? false;
    token.is_admin_project = s.isAdminProject;
  } else if (domainScoped) {
    token.domain = { id: scope.domain, name: s.domain?.name ?? null };
  } else if (system) {
    token.system = { all: true };
  }
  const creds: Credentials = {
    user_id: s.user.id,
    user_domain_id: s.user.domainId,
    system_scope: system ? 'all' : null,
    domain_id: domainScoped ? scope.domain : null,
    project_id: projectScoped ? scope.project : null,
    project_domain_id: projectScoped ? (s.project?.domainId ?? null) : null,
    roles: s.roles.map((r) => r.name),
    is_admin_project: projectScoped ? s.isAdminProject : !domainScoped,
    service_user_id: null,
    service_user_domain_id: null,
    service_project_id: null,
    service_project_domain_id: null,
    service_roles: [],
    token,
  };
  if (system) creds.system = 'all';
  return creds;
}
