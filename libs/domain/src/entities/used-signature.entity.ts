import { Entity, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn } from './columns.js';

/**
 * A request signature that has been spent (docs/security.md, "L2"): sha256 of the dialect, the
 * access key id and the signature is the primary key, so a replay fails on insert in every
 * replica; a row is worthless once its request's signed time has left the freshness window
 * (`expiresAt`).
 */
@Entity('used_signatures')
@Index('ix_used_signatures_expires', ['expiresAt'])
export class UsedSignatureEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @InstantColumn('expires_at', { nullable: false }) expiresAt!: Date;
}
