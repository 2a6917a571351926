import { Entity, PrimaryColumn, Unique } from 'typeorm';
import { IdColumn, JsonColumn, NameColumn, TextColumn } from './columns.js';

/** `domainId` is NULL_DOMAIN_ID for global roles so that (name, domain) can be unique on both databases. */
@Entity('roles')
@Unique('uq_roles_name_domain', ['name', 'domainId'])
export class RoleEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @NameColumn() name!: string;
  @IdColumn('domain_id') domainId!: string;
  @TextColumn('description') description!: string | null;
  @JsonColumn('options') options!: Record<string, unknown> | null;
  @JsonColumn('extra') extra!: Record<string, unknown> | null;
}

@Entity('implied_roles')
export class ImpliedRoleEntity {
  @PrimaryColumn({ name: 'prior_role_id', type: 'varchar', length: 64 }) priorRoleId!: string;
  @PrimaryColumn({ name: 'implied_role_id', type: 'varchar', length: 64 }) impliedRoleId!: string;
}
