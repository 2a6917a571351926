import { Entity, Index, PrimaryColumn } from 'typeorm';
import { IdColumn, InstantColumn } from './columns.js';

/**
 * A login session of the Edgio JSON-RPC dialect (docs/edgio.md, "Sessions"): the opaque token the
 * client holds is never stored, only its sha256 (`id`), so a database dump cannot be replayed.
 */
@Entity('edgio_sessions')
@Index('ix_edgio_sessions_user', ['userId'])
@Index('ix_edgio_sessions_expires', ['expiresAt'])
export class EdgioSessionEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @IdColumn('user_id') userId!: string;
  @InstantColumn('created_at', { nullable: false }) createdAt!: Date;
  @InstantColumn('expires_at', { nullable: false }) expiresAt!: Date;
}
