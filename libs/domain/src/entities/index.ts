import { AlibabaNonceEntity } from './alibaba-nonce.entity.js';
import {
  AccessRuleEntity, ApplicationCredentialAccessRuleEntity, ApplicationCredentialEntity, ApplicationCredentialRoleEntity,
} from './application-credential.entity.js';
import { AuditEventEntity } from './audit-event.entity.js';
import { EndpointEntity, RegionEntity, ServiceEntity } from './catalog.entity.js';
import { CredentialEntity } from './credential.entity.js';
import { DomainConfigEntity } from './domain-config.entity.js';
import { DomainEntity } from './domain.entity.js';
import { EdgioSessionEntity } from './edgio-session.entity.js';
import { EndpointGroupEntity, ProjectEndpointEntity, ProjectEndpointGroupEntity } from './endpoint-filter.entity.js';
import { GroupEntity, GroupMembershipEntity } from './group.entity.js';
import { OAuth1AccessTokenEntity, OAuth1ConsumerEntity, OAuth1NonceEntity, OAuth1RequestTokenEntity } from './oauth1.entity.js';
import { PasswordEntity } from './password.entity.js';
import { PolicyEntity } from './policy.entity.js';
import { ProjectEntity } from './project.entity.js';
import { ProjectTagEntity } from './project-tag.entity.js';
import { RevocationEventEntity } from './revocation-event.entity.js';
import { RoleAssignmentEntity } from './role-assignment.entity.js';
import { ImpliedRoleEntity, RoleEntity } from './role.entity.js';
import { TrustEntity, TrustRoleEntity } from './trust.entity.js';
import { UsedSignatureEntity } from './used-signature.entity.js';
import { UserEntity } from './user.entity.js';

export * from './alibaba-nonce.entity.js';
export * from './application-credential.entity.js';
export * from './audit-event.entity.js';
export * from './catalog.entity.js';
export * from './credential.entity.js';
export * from './domain-config.entity.js';
export * from './domain.entity.js';
export * from './group.entity.js';
export * from './edgio-session.entity.js';
export * from './endpoint-filter.entity.js';
export * from './oauth1.entity.js';
export * from './password.entity.js';
export * from './policy.entity.js';
export * from './project.entity.js';
export * from './project-tag.entity.js';
export * from './revocation-event.entity.js';
export * from './role-assignment.entity.js';
export * from './role.entity.js';
export * from './trust.entity.js';
export * from './used-signature.entity.js';
export * from './user.entity.js';

export const ENTITIES = [
  DomainEntity, ProjectEntity, UserEntity, PasswordEntity, RoleEntity, ImpliedRoleEntity,
  RoleAssignmentEntity, RegionEntity, ServiceEntity, EndpointEntity, RevocationEventEntity, CredentialEntity,
  EdgioSessionEntity, GroupEntity, GroupMembershipEntity, AuditEventEntity, AlibabaNonceEntity,
  EndpointGroupEntity, ProjectEndpointEntity, ProjectEndpointGroupEntity, PolicyEntity, DomainConfigEntity, ProjectTagEntity,
  ApplicationCredentialEntity, ApplicationCredentialRoleEntity, AccessRuleEntity, ApplicationCredentialAccessRuleEntity,
  TrustEntity, TrustRoleEntity,
  OAuth1ConsumerEntity, OAuth1RequestTokenEntity, OAuth1AccessTokenEntity, OAuth1NonceEntity,
  UsedSignatureEntity,
];
