import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { IdColumn, InstantColumn } from './columns.js';

/** One CADF audit record: an identity change or an authentication attempt. */
@Entity('audit_events')
@Index('ix_audit_events_time', ['eventTime'])
export class AuditEventEntity {
  @PrimaryGeneratedColumn({ name: 'id' }) id!: number;
  @Column({ name: 'event_id', type: 'varchar', length: 64 }) eventId!: string;
  @Column({ name: 'action', type: 'varchar', length: 64 }) action!: string;
  @Column({ name: 'outcome', type: 'varchar', length: 16 }) outcome!: 'success' | 'failure';
  @IdColumn('initiator_user_id', { nullable: true }) initiatorUserId!: string | null;
  @IdColumn('initiator_project_id', { nullable: true }) initiatorProjectId!: string | null;
  @Column({ name: 'target_type', type: 'varchar', length: 64 }) targetType!: string;
  @Column({ name: 'target_id', type: 'varchar', length: 255, nullable: true }) targetId!: string | null;
  @Column({ name: 'request_id', type: 'varchar', length: 64, nullable: true }) requestId!: string | null;
  @InstantColumn('event_time', { nullable: false }) eventTime!: Date;
  /** The whole CADF event as JSON text. */
  @Column({ name: 'payload', type: 'text' }) payload!: string;
}
