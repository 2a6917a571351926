import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { FlagColumn, IdColumn, InstantColumn } from './columns.js';

/** One row per password a user has had; the newest is the current one (PCI-DSS history). */
@Entity('passwords')
@Index('ix_passwords_user', ['userId'])
export class PasswordEntity {
  @PrimaryGeneratedColumn({ name: 'id' }) id!: number;
  @IdColumn('user_id') userId!: string;
  @Column({ name: 'password_hash', type: 'varchar', length: 255 }) passwordHash!: string;
  @InstantColumn('created_at', { nullable: false }) createdAt!: Date;
  @InstantColumn('expires_at') expiresAt!: Date | null;
  @FlagColumn('self_service', { default: false }) selfService!: boolean;
}
