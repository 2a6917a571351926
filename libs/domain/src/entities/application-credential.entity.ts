import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique, type ValueTransformer } from 'typeorm';
import { IdColumn, TextColumn } from './columns.js';

/**
 * Microseconds since the epoch in a BIGINT, as Keystone's `DateTimeInt` keeps an application
 * credential's expiry: the instant a client sends comes back to the microsecond (a JavaScript
 * Date would drop the last three digits). MariaDB hands BIGINTs back as strings.
 */
const MICROS: ValueTransformer = {
  to: (v: bigint | null | undefined) => (v === null || v === undefined ? v : v.toString()),
  from: (v: string | number | null) => (v === null || v === undefined ? null : BigInt(v)),
};

/**
 * An application credential (docs/keystone-application-credentials.md): a secret, stored only as
 * a hash on the password hash pool, that authenticates as its user on its project with at most
 * its roles. The name is unique per user.
 */
@Entity('application_credentials')
@Unique('uq_application_credentials_user_name', ['userId', 'name'])
@Index('ix_application_credentials_project', ['projectId'])
export class ApplicationCredentialEntity {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 64 }) id!: string;
  @Column({ name: 'name', type: 'varchar', length: 255 }) name!: string;
  @Column({ name: 'secret_hash', type: 'varchar', length: 255 }) secretHash!: string;
  @TextColumn('description') description!: string | null;
  @IdColumn('user_id') userId!: string;
  @IdColumn('project_id', { nullable: true }) projectId!: string | null;
  @IdColumn('system', { nullable: true }) system!: string | null;
  /** Microseconds since the epoch (UTC), or null for a credential that does not expire. */
  @Column({ name: 'expires_at', type: 'bigint', nullable: true, transformer: MICROS }) expiresAt!: bigint | null;
  /** Keystone keeps what the client said: true, false, or null when it said nothing (restricted). */
  @Column({ name: 'unrestricted', type: 'boolean', nullable: true }) unrestricted!: boolean | null;
}

/** A role an application credential carries (a token from it holds at most these). */
@Entity('application_credential_roles')
@Index('ix_application_credential_roles_role', ['roleId'])
export class ApplicationCredentialRoleEntity {
  @PrimaryColumn({ name: 'application_credential_id', type: 'varchar', length: 64 }) applicationCredentialId!: string;
  @PrimaryColumn({ name: 'role_id', type: 'varchar', length: 64 }) roleId!: string;
}

/**
 * An access rule: a (service type, method, path pattern) a token from an application credential
 * may be used for. Rules belong to a user and are shared by that user's credentials; `externalId`
 * is the id clients see. On MariaDB service, path and method compare exactly.
 */
@Entity('access_rules')
@Unique('uq_access_rules_user_rule', ['userId', 'service', 'path', 'method'])
@Index('uq_access_rules_external_id', ['externalId'], { unique: true })
export class AccessRuleEntity {
  @PrimaryGeneratedColumn({ name: 'id' }) id!: number;
  @IdColumn('external_id') externalId!: string;
  @IdColumn('user_id') userId!: string;
  @Column({ name: 'service', type: 'varchar', length: 64 }) service!: string;
  @Column({ name: 'path', type: 'varchar', length: 225 }) path!: string;
  @Column({ name: 'method', type: 'varchar', length: 16 }) method!: string;
}

/** Which access rules an application credential has. */
@Entity('application_credential_access_rules')
@Index('ix_application_credential_access_rules_rule', ['accessRuleId'])
export class ApplicationCredentialAccessRuleEntity {
  @PrimaryColumn({ name: 'application_credential_id', type: 'varchar', length: 64 }) applicationCredentialId!: string;
  @PrimaryColumn({ name: 'access_rule_id', type: 'integer' }) accessRuleId!: number;
}
