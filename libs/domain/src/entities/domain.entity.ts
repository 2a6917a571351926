import { Entity, PrimaryColumn } from 'typeorm';
import { FlagColumn, JsonColumn, NameColumn, TextColumn } from './columns.js';

@Entity('domains')
export class DomainEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @NameColumn({ unique: true }) name!: string;
  @TextColumn('description') description!: string | null;
  @FlagColumn('enabled') enabled!: boolean;
  @JsonColumn('extra') extra!: Record<string, unknown> | null;
}
