import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One option of a domain-specific configuration (docs/keystone-catalog-extensions.md, "Domain
 * configuration"). `value` is the option's JSON; for a sensitive option it is that JSON sealed
 * with the credential key ring (`keyHash` names the key), and it is never shown.
 */
@Entity('domain_configs')
export class DomainConfigEntity {
  @PrimaryColumn({ name: 'domain_id', type: 'varchar', length: 64 }) domainId!: string;
  @PrimaryColumn({ name: 'group_name', type: 'varchar', length: 255 }) group!: string;
  @PrimaryColumn({ name: 'option_name', type: 'varchar', length: 255 }) option!: string;
  @Column({ name: 'value', type: 'text' }) value!: string;
  @Column({ name: 'sensitive', type: 'boolean', default: false }) sensitive!: boolean;
  @Column({ name: 'key_hash', type: 'varchar', length: 64, nullable: true }) keyHash!: string | null;
}
