import { Column, Entity, PrimaryColumn } from 'typeorm';
import { FlagColumn, IdColumn, JsonColumn, TextColumn } from './columns.js';

@Entity('regions')
export class RegionEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 255 }) id!: string;
  @TextColumn('description') description!: string | null;
  @Column({ name: 'parent_region_id', type: 'varchar', length: 255, nullable: true }) parentRegionId!: string | null;
  @JsonColumn('extra') extra!: Record<string, unknown> | null;
}

@Entity('services')
export class ServiceEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @Column({ name: 'type', type: 'varchar', length: 255 }) type!: string;
  @Column({ name: 'name', type: 'varchar', length: 255, nullable: true }) name!: string | null;
  @TextColumn('description') description!: string | null;
  @FlagColumn('enabled') enabled!: boolean;
  @JsonColumn('extra') extra!: Record<string, unknown> | null;
}

export type EndpointInterface = 'public' | 'internal' | 'admin';

@Entity('endpoints')
export class EndpointEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @IdColumn('service_id') serviceId!: string;
  @Column({ name: 'interface', type: 'varchar', length: 8 }) interface!: EndpointInterface;
  @Column({ name: 'url', type: 'text' }) url!: string;
  @Column({ name: 'region_id', type: 'varchar', length: 255, nullable: true }) regionId!: string | null;
  @FlagColumn('enabled') enabled!: boolean;
  @JsonColumn('extra') extra!: Record<string, unknown> | null;
}
