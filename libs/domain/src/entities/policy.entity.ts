import { Column, Entity, PrimaryColumn } from 'typeorm';
import { JsonColumn } from './columns.js';

/**
 * A policy blob of `/v3/policies` (docs/keystone-catalog-extensions.md, "Policies"): opaque text
 * with a media type, kept for other services; Lintel never interprets it.
 */
@Entity('policies')
export class PolicyEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @Column({ name: 'type', type: 'varchar', length: 255 }) type!: string;
  @Column({ name: 'blob', type: 'text' }) blob!: string;
  @JsonColumn('extra') extra!: Record<string, unknown> | null;
}
