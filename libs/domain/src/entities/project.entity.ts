import { Entity, Index, PrimaryColumn, Unique } from 'typeorm';
import { FlagColumn, IdColumn, JsonColumn, NameColumn, TextColumn } from './columns.js';

@Entity('projects')
@Unique('uq_projects_domain_name', ['domainId', 'name'])
@Index('ix_projects_name', ['name', 'id'])
export class ProjectEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @NameColumn() name!: string;
  @IdColumn('domain_id') domainId!: string;
  @IdColumn('parent_id', { nullable: true }) parentId!: string | null;
  @FlagColumn('is_domain', { default: false }) isDomain!: boolean;
  @TextColumn('description') description!: string | null;
  @FlagColumn('enabled') enabled!: boolean;
  @JsonColumn('extra') extra!: Record<string, unknown> | null;
}
