import { In, IsNull, type EntityManager } from 'typeorm';
import {
  CredentialEntity, EdgioSessionEntity, GroupEntity, GroupMembershipEntity, OAuth1AccessTokenEntity, OAuth1RequestTokenEntity, PasswordEntity,
  ProjectEndpointEntity, ProjectEndpointGroupEntity, RoleAssignmentEntity, TrustEntity,
} from '../entities/index.js';
import { removeApplicationCredentialsOfUsers } from './application-credential.cascade.js';

/**
 * Removes what belongs to projects and users that are being deleted: role assignments on the
 * targets or held by the users, credentials of the users or scoped to the projects, the
 * projects' endpoint and endpoint group associations, the users' password history, the trusts
 * the users take part in or that are on the projects (docs/keystone-trusts.md), and OAuth1
 * request and access tokens the users authorized or that name the projects. Deleted users'
 * application credentials and access rules go too. Runs inside the caller's transaction.
 */
export async function removeOwned(tx: EntityManager, o: { projectIds: string[]; userIds: string[]; targetIds: string[]; groupIds?: string[] }): Promise<void> {
  if (o.targetIds.length) await tx.delete(RoleAssignmentEntity, { targetId: In(o.targetIds) });
  if (o.groupIds?.length) {
    await tx.delete(RoleAssignmentEntity, { actorId: In(o.groupIds) });
    await tx.delete(GroupMembershipEntity, { groupId: In(o.groupIds) });
    await tx.delete(GroupEntity, { id: In(o.groupIds) });
  }
  if (o.userIds.length) {
    await tx.delete(GroupMembershipEntity, { userId: In(o.userIds) });
    await tx.delete(RoleAssignmentEntity, { actorId: In(o.userIds) });
    await tx.delete(CredentialEntity, { userId: In(o.userIds) });
    await tx.delete(PasswordEntity, { userId: In(o.userIds) });
    await tx.delete(EdgioSessionEntity, { userId: In(o.userIds) });
    await removeApplicationCredentialsOfUsers(tx, o.userIds);
    await tx.update(TrustEntity, { trustorUserId: In(o.userIds), deletedAt: IsNull() }, { deletedAt: new Date() });
    await tx.update(TrustEntity, { trusteeUserId: In(o.userIds), deletedAt: IsNull() }, { deletedAt: new Date() });
    await tx.delete(OAuth1RequestTokenEntity, { authorizingUserId: In(o.userIds) });
    await tx.delete(OAuth1AccessTokenEntity, { authorizingUserId: In(o.userIds) });
  }
  if (o.projectIds.length) {
    await tx.delete(CredentialEntity, { projectId: In(o.projectIds) });
    await tx.delete(ProjectEndpointEntity, { projectId: In(o.projectIds) });
    await tx.delete(ProjectEndpointGroupEntity, { projectId: In(o.projectIds) });
    await tx.update(TrustEntity, { projectId: In(o.projectIds), deletedAt: IsNull() }, { deletedAt: new Date() });
    await tx.delete(OAuth1RequestTokenEntity, { requestedProjectId: In(o.projectIds) });
    await tx.delete(OAuth1AccessTokenEntity, { projectId: In(o.projectIds) });
  }
}
