import { Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { IdColumn, InstantColumn } from './columns.js';

/**
 * A Keystone revocation event: a token is revoked when it was issued at or before `issuedBefore`
 * and every non-null field matches it (docs/keystone.md, "Validation and revocation").
 */
@Entity('revocation_events')
@Index('ix_revocation_events_revoked_at', ['revokedAt'])
export class RevocationEventEntity {
  @PrimaryGeneratedColumn({ name: 'id' }) id!: number;
  @IdColumn('audit_id', { nullable: true }) auditId!: string | null;
  @IdColumn('audit_chain_id', { nullable: true }) auditChainId!: string | null;
  @IdColumn('user_id', { nullable: true }) userId!: string | null;
  @IdColumn('project_id', { nullable: true }) projectId!: string | null;
  @IdColumn('domain_id', { nullable: true }) domainId!: string | null;
  @IdColumn('role_id', { nullable: true }) roleId!: string | null;
  /** Tokens issued from this application credential (docs/keystone-application-credentials.md). */
  @IdColumn('app_cred_id', { nullable: true }) appCredId!: string | null;
  /** Keystone's `OS-TRUST:trust_id`: every token issued under the trust. */
  @IdColumn('trust_id', { nullable: true }) trustId!: string | null;
  /** Tokens issued from this OAuth1 access token (OS-OAUTH1). */
  @IdColumn('access_token_id', { nullable: true }) accessTokenId!: string | null;
  @InstantColumn('issued_before', { nullable: false }) issuedBefore!: Date;
  @InstantColumn('revoked_at', { nullable: false }) revokedAt!: Date;
  @InstantColumn('expires_at') expiresAt!: Date | null;
}
