import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, type EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import {
  AccessRuleEntity, ApplicationCredentialAccessRuleEntity, ApplicationCredentialEntity, ApplicationCredentialRoleEntity,
  RoleEntity,
} from '../entities/index.js';
import { ConflictError, DomainError, insertOrConflict, InvalidInputError, RoleAssignmentNotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { PasswordHasher } from '../password-hasher.js';
import { AssignmentService } from './assignment.service.js';
import { RevocationService } from './revocation.service.js';
import { allowedMatches, whereTextMatches, type TextMatches } from './text-match.js';

/** An access rule as clients see it. */
export interface AccessRule {
  id: string;
  service: string;
  path: string;
  method: string;
}

/** An access rule with its owner (the API checks the owner against the path). */
export interface OwnedAccessRule extends AccessRule {
  userId: string;
}

/** An application credential, its roles loaded; `accessRules` only when it has any (Keystone's shape). */
export interface ApplicationCredential {
  id: string;
  name: string;
  description: string | null;
  userId: string;
  projectId: string | null;
  system: string | null;
  /** Microseconds since the epoch, or null. */
  expiresAt: bigint | null;
  unrestricted: boolean | null;
  roles: RoleEntity[];
  accessRules?: AccessRule[];
}

/** An access rule of a new credential: an existing one by `id`, or service, path and method. */
export interface AccessRuleInput {
  id?: string;
  service?: string;
  path?: string;
  method?: string;
}

export interface NewApplicationCredential {
  name: string;
  description?: string | null;
  secret: string;
  userId: string;
  projectId: string | null;
  system?: string | null;
  expiresAt?: bigint | null;
  unrestricted?: boolean | null;
  roleIds: string[];
  accessRules?: AccessRuleInput[];
}

/** Keystone's ApplicationCredentialNotFound (404). */
export class ApplicationCredentialNotFoundError extends DomainError {
  constructor(id: string) {
    super('NotFound', `Could not find Application Credential: ${id}.`);
  }
}

/** Keystone's AccessRuleNotFound (404). */
export class AccessRuleNotFoundError extends DomainError {
  constructor(id: string) {
    super('NotFound', `Could not find Access Rule: ${id}.`);
  }
}

/** Microseconds since the epoch, now. */
export const nowMicros = (): bigint => BigInt(Date.now()) * 1000n;

/**
 * What bcrypt is given for a secret: SHA-256 of it, base64. bcrypt reads 72 bytes at most and a
 * generated secret is 86 characters, so hashing the digest keeps every character significant.
 */
const prehash = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('base64');

/**
 * Marks a secret hash imported from Keystone (docs/migrating-from-keystone.md): Keystone hashed
 * the secret itself (bcrypt reading its first 72 bytes), not its digest, so it is checked so.
 */
export const KEYSTONE_SECRET_HASH = 'keystone:';

const ACCESS_RULE_FIELDS = ['service', 'path', 'method'] as const;

/**
 * Application credentials and access rules (Keystone's application credential manager, SQL
 * driver; docs/keystone-application-credentials.md). Secrets are hashed on the password hash
 * pool and never stored; deleting a credential revokes its tokens everywhere.
 */
@Injectable()
export class ApplicationCredentialService {
  constructor(
    @InjectRepository(ApplicationCredentialEntity) private readonly applicationCredentials: Repository<ApplicationCredentialEntity>,
    @InjectRepository(AccessRuleEntity) private readonly accessRules: Repository<AccessRuleEntity>,
    @InjectRepository(RoleEntity) private readonly roles: Repository<RoleEntity>,
    private readonly db: TransactionRunner,
    private readonly hasher: PasswordHasher,
    private readonly assignments: AssignmentService,
    private readonly revocations: RevocationService,
  ) {}

  /**
   * Creates a credential. The user must hold every role on the project now (Keystone's
   * RoleAssignmentNotFound, which the API turns into a 400); the name is unique per user (409).
   * Access rules given by id, or identical to one the user has, are shared; others are created.
   */
  async create(c: NewApplicationCredential): Promise<ApplicationCredential> {
    if (c.projectId !== null && c.roleIds.length) {
      const held = new Set((await this.assignments.effectiveRoles(c.userId, { project: c.projectId })).map((r) => r.id));
      for (const roleId of c.roleIds) if (!held.has(roleId)) throw new RoleAssignmentNotFoundError(roleId, c.userId, c.projectId);
    }
    const secretHash = await this.hasher.hash(prehash(c.secret));
    const conflict = () => new ConflictError('application_credential', `Duplicate entry found with name ${c.name}`);
    const id = newId();
    await this.db.transaction(async (tx) => {
      if (await tx.findOneBy(ApplicationCredentialEntity, { userId: c.userId, name: c.name })) throw conflict();
      const row: ApplicationCredentialEntity = {
        id, name: c.name, secretHash, description: c.description ?? null, userId: c.userId, projectId: c.projectId,
        system: c.system ?? null, expiresAt: c.expiresAt ?? null, unrestricted: c.unrestricted ?? null,
      };
      await insertOrConflict(() => tx.insert(ApplicationCredentialEntity, row as never), row, conflict);
      const roleIds = [...new Set(c.roleIds)];
      if (roleIds.length) await tx.insert(ApplicationCredentialRoleEntity, roleIds.map((roleId) => ({ applicationCredentialId: id, roleId })));
      const ruleIds: number[] = [];
      for (const [i, r] of (c.accessRules ?? []).entries()) {
        const ruleId = await this.resolveAccessRule(tx, c.userId, r, i);
        if (!ruleIds.includes(ruleId)) ruleIds.push(ruleId);
      }
      if (ruleIds.length) await tx.insert(ApplicationCredentialAccessRuleEntity, ruleIds.map((accessRuleId) => ({ applicationCredentialId: id, accessRuleId })));
    });
    return (await this.get(id))!;
  }

  /**
   * The internal id of the user's access rule `r` names: the user's rule with that id, else the
   * user's identical rule, else a new one (with the client's id when it is free). A rule of
   * another user is never shared.
   */
  private async resolveAccessRule(tx: EntityManager, userId: string, r: AccessRuleInput, index: number): Promise<number> {
    if (r.id !== undefined) {
      const byId = await tx.findOneBy(AccessRuleEntity, { externalId: r.id, userId });
      if (byId) return byId.id;
    }
    for (const f of ACCESS_RULE_FIELDS) {
      if (r[f] !== undefined) continue;
      // A rule named only by an id that is not the user's cannot be created from nothing.
      if (r.id !== undefined) throw new AccessRuleNotFoundError(r.id);
      throw InvalidInputError.field(`access_rules/${index}`, `'${f}' is a required property`);
    }
    const same = await tx.findOneBy(AccessRuleEntity, { userId, service: r.service!, path: r.path!, method: r.method! });
    if (same) return same.id;
    const free = r.id !== undefined && !(await tx.findOneBy(AccessRuleEntity, { externalId: r.id }));
    const row = { externalId: free ? r.id! : newId(), userId, service: r.service!, path: r.path!, method: r.method! };
    await insertOrConflict(() => tx.insert(AccessRuleEntity, row), row,
      () => new ConflictError('access_rule', `Duplicate entry found with service ${row.service}, path ${row.path} and method ${row.method}`));
    return (await tx.findOneByOrFail(AccessRuleEntity, { externalId: row.externalId })).id;
  }

  async get(id: string): Promise<ApplicationCredential | null> {
    const row = await this.applicationCredentials.findOneBy({ id });
    return row ? (await this.withDetails([row]))[0]! : null;
  }

  /** A user's credentials, `name` exact or inexact (`name__contains`, ...), by name. */
  async list(userId: string, f: { name?: string; match?: TextMatches } = {}): Promise<ApplicationCredential[]> {
    const qb = this.applicationCredentials.createQueryBuilder('c').where('c.user_id = :userId', { userId });
    if (f.name !== undefined) qb.andWhere('c.name = :name', { name: f.name });
    for (const [column, m] of allowedMatches(f.match, { name: 'c.name' })) whereTextMatches(this.applicationCredentials.manager.connection, qb, column, m);
    return this.withDetails(await qb.orderBy('c.name', 'ASC').addOrderBy('c.id', 'ASC').getMany());
  }

  /** Roles (by name) and access rules (in creation order) of each credential, in two queries. */
  private async withDetails(rows: ApplicationCredentialEntity[]): Promise<ApplicationCredential[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const roleRows: Array<{ appCredId: string } & Record<string, unknown>> = await this.applicationCredentials.manager.createQueryBuilder()
      .select('acr.application_credential_id', 'appCredId').addSelect('r.id', 'id').addSelect('r.name', 'name').addSelect('r.domain_id', 'domain_id')
      .addSelect('r.description', 'description').addSelect('r.options', 'options').addSelect('r.extra', 'extra')
      .from(ApplicationCredentialRoleEntity, 'acr').innerJoin(RoleEntity, 'r', 'r.id = acr.role_id')
      .where('acr.application_credential_id IN (:...ids)', { ids }).getRawMany();
    const ruleRows: Array<{ appCredId: string; id: string; service: string; path: string; method: string }> = await this.applicationCredentials.manager.createQueryBuilder()
      .select('link.application_credential_id', 'appCredId').addSelect('ar.external_id', 'id').addSelect('ar.service', 'service')
      .addSelect('ar.path', 'path').addSelect('ar.method', 'method')
      .from(ApplicationCredentialAccessRuleEntity, 'link').innerJoin(AccessRuleEntity, 'ar', 'ar.id = link.access_rule_id')
      .where('link.application_credential_id IN (:...ids)', { ids }).orderBy('ar.id', 'ASC').getRawMany();
    return rows.map((r) => {
      const roles = roleRows.filter((x) => x.appCredId === r.id).map(roleOf).sort((a, b) => a.name.localeCompare(b.name));
      const rules = ruleRows.filter((x) => x.appCredId === r.id).map(({ id, service, path, method }) => ({ id, service, path, method }));
      return {
        id: r.id, name: r.name, description: r.description, userId: r.userId, projectId: r.projectId, system: r.system,
        expiresAt: r.expiresAt, unrestricted: r.unrestricted, roles, ...(rules.length ? { accessRules: rules } : {}),
      };
    });
  }

  /**
   * Whether `secret` is the credential's and the credential has not expired (Keystone's checks
   * for the `application_credential` auth method; the secret is always compared).
   */
  async verify(id: string, secret: string): Promise<boolean> {
    const row = await this.applicationCredentials.findOneBy({ id });
    if (!row) return false;
    const imported = row.secretHash.startsWith(KEYSTONE_SECRET_HASH);
    const ok = imported ? await this.hasher.verify(secret, row.secretHash.slice(KEYSTONE_SECRET_HASH.length)) : await this.hasher.verify(prehash(secret), row.secretHash);
    return ok && !isExpired(row.expiresAt);
  }

  /** Deletes a credential (its access rules stay) and revokes the tokens issued from it, in one transaction. */
  async delete(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const r = await tx.delete(ApplicationCredentialEntity, { id });
      if (!r.affected) throw new ApplicationCredentialNotFoundError(id);
      await tx.delete(ApplicationCredentialRoleEntity, { applicationCredentialId: id });
      await tx.delete(ApplicationCredentialAccessRuleEntity, { applicationCredentialId: id });
      await this.revocations.revoke({ appCredId: id }, tx);
    });
  }

  /** Roles, global or of any domain, named exactly `name` (Keystone's `get_unique_role_by_name` looks at all). */
  async rolesNamed(name: string): Promise<RoleEntity[]> {
    return (await this.roles.findBy({ name })).filter((r) => r.name === name);
  }

  // ------------------------------------------------------------------ access rules

  /** A user's access rules, each of `service`, `path`, `method` exact or inexact, in creation order. */
  async listAccessRules(userId: string, f: { service?: string; path?: string; method?: string; match?: TextMatches } = {}): Promise<AccessRule[]> {
    const qb = this.accessRules.createQueryBuilder('ar').where('ar.user_id = :userId', { userId });
    for (const key of ACCESS_RULE_FIELDS) if (f[key] !== undefined) qb.andWhere(`ar.${key} = :${key}`, { [key]: f[key] });
    for (const [column, m] of allowedMatches(f.match, { service: 'ar.service', path: 'ar.path', method: 'ar.method' })) whereTextMatches(this.accessRules.manager.connection, qb, column, m);
    return (await qb.orderBy('ar.id', 'ASC').getMany()).map(ruleOf);
  }

  async getAccessRule(id: string): Promise<OwnedAccessRule | null> {
    const row = await this.accessRules.findOneBy({ externalId: id });
    return row ? { ...ruleOf(row), userId: row.userId } : null;
  }

  /** Deletes an access rule no credential uses (Keystone's 403 otherwise). */
  async deleteAccessRule(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await tx.findOneBy(AccessRuleEntity, { externalId: id });
      if (!row) throw new AccessRuleNotFoundError(id);
      if (await tx.countBy(ApplicationCredentialAccessRuleEntity, { accessRuleId: row.id })) {
        throw new DomainError('Forbidden', 'May not delete access rule in use');
      }
      await tx.delete(AccessRuleEntity, { id: row.id });
    });
  }
}

/** True once `expiresAt` (microseconds) has passed; never for null. */
export function isExpired(expiresAt: bigint | null, now = nowMicros()): boolean {
  return expiresAt !== null && now >= expiresAt;
}

function ruleOf(r: Pick<AccessRuleEntity, 'externalId' | 'service' | 'path' | 'method'>): AccessRule {
  return { id: r.externalId, service: r.service, path: r.path, method: r.method };
}

function parseJson(v: unknown): Record<string, unknown> | null {
  if (typeof v !== 'string') return (v as Record<string, unknown> | null) ?? null;
  try {
    return JSON.parse(v) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function roleOf(row: Record<string, unknown>): RoleEntity {
  return Object.assign(new RoleEntity(), {
    id: row.id, name: row.name, domainId: row.domain_id, description: row.description ?? null, options: parseJson(row.options), extra: parseJson(row.extra),
  });
}
