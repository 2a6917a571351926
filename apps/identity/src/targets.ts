import {
  NULL_DOMAIN_ID, type CredentialEntity, type DomainEntity, type GroupEntity, type ProjectEntity, type RoleEntity, type UserEntity,
} from '@lintel/domain';

/**
 * Policy targets: what a request touches, as Keystone hands it to its rules (`target.user`,
 * `target.project`, ...; docs/policy.md, "Targets"). Built from the database only, with the
 * attributes Keystone's references carry. Free-form extras are left out: whoever may edit a
 * resource could otherwise write the very attributes a rule trusts.
 */

export const userTarget = (u: UserEntity) => ({
  id: u.id, name: u.name, domain_id: u.domainId, enabled: u.enabled, default_project_id: u.defaultProjectId, options: u.options ?? {},
});

/**
 * A project (a domain acting as one has `domain_id` None, which rules pair with
 * `not None:%(target.project.domain_id)s`); `tags` when the caller has them.
 */
export const projectTarget = (p: Pick<ProjectEntity, 'id' | 'name' | 'parentId' | 'isDomain' | 'enabled'> & { domainId: string | null; tags?: string[] }) => ({
  id: p.id, name: p.name, domain_id: p.domainId, parent_id: p.parentId, is_domain: p.isDomain, enabled: p.enabled,
  ...(p.tags ? { tags: p.tags } : {}),
});

export const domainTarget = (d: DomainEntity) => ({ id: d.id, name: d.name, enabled: d.enabled });

export const groupTarget = (g: GroupEntity) => ({ id: g.id, name: g.name, domain_id: g.domainId });

/** A global role has `domain_id: None`, as rules such as `None:%(target.role.domain_id)s` expect. */
export const roleTarget = (r: RoleEntity) => ({ id: r.id, name: r.name, domain_id: r.domainId === NULL_DOMAIN_ID ? null : r.domainId });

export const credentialTarget = (c: Pick<CredentialEntity, 'id' | 'userId' | 'projectId' | 'type'>) => ({
  id: c.id, user_id: c.userId, project_id: c.projectId, type: c.type,
});
