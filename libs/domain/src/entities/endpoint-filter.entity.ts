import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { NameColumn, TextColumn } from './columns.js';

/** The endpoint attributes an endpoint group may filter on, with the values they must equal. */
export type EndpointGroupFilters = { service_id?: string; region_id?: string | null; interface?: string };

/** OS-EP-FILTER endpoint group: the endpoints whose attributes equal all of `filters`. */
@Entity('endpoint_groups')
export class EndpointGroupEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @NameColumn() name!: string;
  @TextColumn('description') description!: string | null;
  @Column({ name: 'filters', type: 'simple-json' }) filters!: EndpointGroupFilters;
}

/** An endpoint associated directly with a project (its token catalog is then filtered). */
@Entity('project_endpoints')
@Index('ix_project_endpoints_project', ['projectId'])
export class ProjectEndpointEntity {
  @PrimaryColumn({ name: 'endpoint_id', type: 'varchar', length: 64 }) endpointId!: string;
  @PrimaryColumn({ name: 'project_id', type: 'varchar', length: 64 }) projectId!: string;
}

/** An endpoint group associated with a project. */
@Entity('project_endpoint_groups')
@Index('ix_project_endpoint_groups_project', ['projectId'])
export class ProjectEndpointGroupEntity {
  @PrimaryColumn({ name: 'endpoint_group_id', type: 'varchar', length: 64 }) endpointGroupId!: string;
  @PrimaryColumn({ name: 'project_id', type: 'varchar', length: 64 }) projectId!: string;
}
