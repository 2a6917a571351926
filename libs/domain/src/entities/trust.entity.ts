import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { FlagColumn, IdColumn, InstantColumn, JsonColumn } from './columns.js';

/**
 * An OS-TRUST trust (docs/keystone-trusts.md): the trustor lets the trustee act on the project
 * with the trust's roles. Deleting one only stamps `deleted_at` (Keystone keeps the row, and its
 * duplicate key, until a flush). `expires_at` keeps its fraction; it is shown in whole seconds.
 */
@Entity('trusts')
@Index('uq_trusts_duplicate', ['trustorUserId', 'trusteeUserId', 'projectId', 'impersonation', 'expiresAt'], { unique: true })
@Index('ix_trusts_trustee', ['trusteeUserId'])
@Index('ix_trusts_project', ['projectId'])
@Index('ix_trusts_redelegated', ['redelegatedTrustId'])
export class TrustEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @IdColumn('trustor_user_id') trustorUserId!: string;
  @IdColumn('trustee_user_id') trusteeUserId!: string;
  @IdColumn('project_id', { nullable: true }) projectId!: string | null;
  @FlagColumn('impersonation', { default: false }) impersonation!: boolean;
  @InstantColumn('expires_at') expiresAt!: Date | null;
  @Column({ name: 'remaining_uses', type: 'int', nullable: true }) remainingUses!: number | null;
  @IdColumn('redelegated_trust_id', { nullable: true }) redelegatedTrustId!: string | null;
  @Column({ name: 'redelegation_count', type: 'int', nullable: true }) redelegationCount!: number | null;
  @InstantColumn('deleted_at') deletedAt!: Date | null;
  /** Attributes of the request beyond Keystone's, echoed back as Keystone does. */
  @JsonColumn('extra') extra!: Record<string, unknown> | null;
}

/** A role a trust delegates (Keystone's `trust_role`). */
@Entity('trust_roles')
export class TrustRoleEntity {
  @PrimaryColumn({ name: 'trust_id', type: 'varchar', length: 64 }) trustId!: string;
  @PrimaryColumn({ name: 'role_id', type: 'varchar', length: 64 }) roleId!: string;
}
