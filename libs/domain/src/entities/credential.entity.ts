import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { IdColumn, InstantColumn, JsonColumn } from './columns.js';

export type CredentialState = 'active' | 'inactive';

/**
 * One credential, whichever dialect issued it (Keystone, OS-EC2, SODA aksks, the clouds' key
 * APIs). The blob (which holds any secret) is stored only sealed with AES-256-GCM; `keyHash`
 * names the credential key that sealed it. For access-key credentials `accessKey` is the public
 * key id (unique) and `id` is sha256 of the access key it was created with, Keystone's ec2
 * credential id.
 */
@Entity('credentials')
@Index('ix_credentials_user', ['userId'])
@Index('ix_credentials_project', ['projectId'])
@Index('uq_credentials_access_key', ['accessKey'], { unique: true })
@Index('ix_credentials_created', ['createdAt', 'id'])
export class CredentialEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @IdColumn('user_id') userId!: string;
  @IdColumn('project_id', { nullable: true }) projectId!: string | null;
  @Column({ name: 'type', type: 'varchar', length: 255 }) type!: string;
  @Column({ name: 'access_key', type: 'varchar', length: 255, nullable: true }) accessKey!: string | null;
  @Column({ name: 'encrypted_blob', type: 'text' }) encryptedBlob!: string;
  @Column({ name: 'key_hash', type: 'varchar', length: 64 }) keyHash!: string;
  @Column({ name: 'state', type: 'varchar', length: 16, default: 'active' }) state!: CredentialState;
  @Column({ name: 'issuer', type: 'varchar', length: 32 }) issuer!: string;
  @InstantColumn('expires_at') expiresAt!: Date | null;
  @InstantColumn('created_at', { nullable: false }) createdAt!: Date;
  @InstantColumn('updated_at', { nullable: false }) updatedAt!: Date;
  @InstantColumn('last_used_at') lastUsedAt!: Date | null;
  @Column({ name: 'last_used_service', type: 'varchar', length: 32, nullable: true }) lastUsedService!: string | null;
  @JsonColumn('extra') extra!: Record<string, unknown> | null;
}
