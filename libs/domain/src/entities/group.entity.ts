import { Entity, Index, PrimaryColumn, Unique } from 'typeorm';
import { IdColumn, JsonColumn, NameColumn, TextColumn } from './columns.js';

@Entity('groups')
@Unique('uq_groups_domain_name', ['domainId', 'name'])
@Index('ix_groups_name', ['name', 'id'])
export class GroupEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @NameColumn() name!: string;
  @IdColumn('domain_id') domainId!: string;
  @TextColumn('description') description!: string | null;
  @JsonColumn('extra') extra!: Record<string, unknown> | null;
}

@Entity('user_group_membership')
@Index('ix_membership_group', ['groupId'])
@Index('ix_membership_group_user', ['groupId', 'userId'])
export class GroupMembershipEntity {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 64 }) userId!: string;
  @PrimaryColumn({ name: 'group_id', type: 'varchar', length: 64 }) groupId!: string;
}
