import { Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One tag of a project or of a domain (`projectId` is then the domain's id: Keystone keeps a
 * domain's tags as those of the project acting as it). On MariaDB the name compares exactly
 * (migration 1766200000000), as it does on SQLite.
 */
@Entity('project_tags')
@Index('ix_project_tags_name', ['name'])
export class ProjectTagEntity {
  @PrimaryColumn({ name: 'project_id', type: 'varchar', length: 64 }) projectId!: string;
  @PrimaryColumn({ name: 'name', type: 'varchar', length: 255 }) name!: string;
}
