import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';
import { FlagColumn, IdColumn, InstantColumn, JsonColumn, NameColumn } from './columns.js';

@Entity('users')
@Unique('uq_users_domain_name', ['domainId', 'name'])
@Index('ix_users_name', ['name', 'id'])
export class UserEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @NameColumn() name!: string;
  @IdColumn('domain_id') domainId!: string;
  @FlagColumn('enabled') enabled!: boolean;
  @IdColumn('default_project_id', { nullable: true }) defaultProjectId!: string | null;
  @JsonColumn('options') options!: Record<string, unknown> | null;
  @JsonColumn('extra') extra!: Record<string, unknown> | null;
  @InstantColumn('created_at') createdAt!: Date | null;
  @InstantColumn('last_active_at') lastActiveAt!: Date | null;
  @Column({ name: 'failed_auth_count', type: 'int', default: 0 }) failedAuthCount!: number;
  @InstantColumn('failed_auth_at') failedAuthAt!: Date | null;
}
