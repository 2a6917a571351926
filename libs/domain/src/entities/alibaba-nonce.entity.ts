import { Entity, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn } from './columns.js';

/**
 * A SignatureNonce an Alibaba-signed request has used (docs/alibaba.md, "Authentication"). The primary key,
 * sha256 of the access key id and the nonce, makes a replay fail on insert in every replica; a row
 * is worthless once its request's timestamp has left the freshness window (`expiresAt`).
 */
@Entity('alibaba_nonces')
@Index('ix_alibaba_nonces_expires', ['expiresAt'])
export class AlibabaNonceEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @InstantColumn('expires_at', { nullable: false }) expiresAt!: Date;
}
