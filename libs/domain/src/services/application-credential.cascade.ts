import { In, type EntityManager } from 'typeorm';
import {
  AccessRuleEntity, ApplicationCredentialAccessRuleEntity, ApplicationCredentialEntity, ApplicationCredentialRoleEntity, RoleAssignmentEntity,
} from '../entities/index.js';
import type { RevocationService } from './revocation.service.js';

/**
 * What deleting users and roles takes of application credentials (docs/keystone-application-credentials.md,
 * "Lifecycle"), inside the caller's transaction. Kept apart from ApplicationCredentialService so
 * that the services doing those deletions need not depend on it.
 */

async function deleteCredentials(tx: EntityManager, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await tx.delete(ApplicationCredentialRoleEntity, { applicationCredentialId: In(ids) });
  await tx.delete(ApplicationCredentialAccessRuleEntity, { applicationCredentialId: In(ids) });
  await tx.delete(ApplicationCredentialEntity, { id: In(ids) });
}

/** A user is deleted: their application credentials and access rules go (Keystone's callback on user deletion). */
export async function removeApplicationCredentialsOfUsers(tx: EntityManager, userIds: string[]): Promise<void> {
  if (!userIds.length) return;
  const creds = await tx.find(ApplicationCredentialEntity, { where: { userId: In(userIds) }, select: { id: true } });
  await deleteCredentials(tx, creds.map((c) => c.id));
  await tx.delete(AccessRuleEntity, { userId: In(userIds) });
}

/**
 * A role is deleted: as Keystone does, every user granted it directly on a project loses the
 * application credentials they have on that project (their tokens are revoked), and the role
 * leaves the credentials that still carry it. Runs before the grants are deleted.
 */
export async function removeApplicationCredentialsForRole(tx: EntityManager, roleId: string, revocations: RevocationService): Promise<void> {
  const grants = await tx.find(RoleAssignmentEntity, { where: { roleId, type: 'UserProject' }, select: { actorId: true, targetId: true } });
  const ids = new Set<string>();
  for (const g of grants) {
    for (const c of await tx.find(ApplicationCredentialEntity, { where: { userId: g.actorId, projectId: g.targetId }, select: { id: true } })) ids.add(c.id);
  }
  await deleteCredentials(tx, [...ids]);
  for (const id of ids) await revocations.revoke({ appCredId: id }, tx);
  await tx.delete(ApplicationCredentialRoleEntity, { roleId });
}
