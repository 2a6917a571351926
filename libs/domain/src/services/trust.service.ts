import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, Repository, type EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import { ImpliedRoleEntity, RoleEntity, TrustEntity, TrustRoleEntity, UserEntity } from '../entities/index.js';
import { ConflictError, DomainError, InvalidInputError, isUniqueViolation, NotFoundError } from '../errors.js';
import { newId, NULL_DOMAIN_ID } from '../ids.js';
import { RevocationService } from './revocation.service.js';

/** Keystone's `[trust] max_redelegation_count` default: how long a chain of redelegations may grow. */
export const MAX_REDELEGATION_COUNT = 3;

/** A trust with the ids of the roles it delegates. */
export interface Trust {
  id: string;
  trustorUserId: string;
  trusteeUserId: string;
  projectId: string | null;
  impersonation: boolean;
  expiresAt: Date | null;
  remainingUses: number | null;
  redelegatedTrustId: string | null;
  redelegationCount: number | null;
  deletedAt: Date | null;
  extra: Record<string, unknown>;
  roleIds: string[];
}

/** What `POST /v3/OS-TRUST/trusts` asks for, already checked for shape (roles resolved to ids). */
export interface TrustInput {
  trustorUserId: string;
  trusteeUserId: string;
  projectId: string | null;
  impersonation: boolean;
  expiresAt: Date | null;
  remainingUses: number | null;
  allowRedelegation: boolean;
  /** As given: undefined or null when the request leaves it out. */
  redelegationCount: number | null | undefined;
  roleIds: string[];
  extra: Record<string, unknown>;
}

/**
 * True when an ec2 credential's blob ties it to a delegation (a trust, an application credential,
 * an OAuth1 access token): only `/v3/ec2tokens` and `/v3/s3tokens` can honour that scope, so the
 * cloud dialects that sign with access keys refuse such keys (docs/keystone-trusts.md).
 */
export function isDelegatedKeyBlob(blob: string): boolean {
  try {
    const b = JSON.parse(blob) as Record<string, unknown>;
    return !!(b && (b.trust_id || b.app_cred_id || b.access_token_id));
  } catch {
    return false;
  }
}

/** Keystone's TrustNotFound. */
export const trustNotFound = (id: string) => new NotFoundError('trust', id);

/**
 * Keystone raises these as `Forbidden`, a security error whose text the client never sees: the
 * generic 403, with the reason for the log.
 */
const refused = (reason: string) => new DomainError('Forbidden', 'You are not authorized to perform the requested action.', reason);

/**
 * Trusts (Keystone's trust manager and SQL driver, docs/keystone-trusts.md): creation with the
 * redelegation rules, lookups that hide deleted, expired and used-up trusts, the pedigree of a
 * redelegated trust, use counting, deletion down the redelegation chain with a revocation event
 * per trust.
 */
@Injectable()
export class TrustService {
  private readonly logger = new Logger(TrustService.name);

  constructor(
    @InjectRepository(TrustEntity) private readonly trusts: Repository<TrustEntity>,
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(RoleEntity) private readonly roles: Repository<RoleEntity>,
    @InjectRepository(ImpliedRoleEntity) private readonly impliedRoles: Repository<ImpliedRoleEntity>,
    private readonly db: TransactionRunner,
    private readonly revocations: RevocationService,
  ) {}

  // ------------------------------------------------------------------ reads

  /**
   * The driver's lookup: the trust unless deleted, expired or out of uses (each a 404, as
   * Keystone's TrustNotFound); with `deleted`, any row.
   */
  async find(id: string, o: { deleted?: boolean; tx?: EntityManager } = {}): Promise<Trust> {
    const tx = o.tx ?? this.trusts.manager;
    const row = await tx.findOneBy(TrustEntity, o.deleted ? { id } : { id, deletedAt: IsNull() });
    if (!row) throw trustNotFound(id);
    if (!o.deleted) {
      if (row.expiresAt && Date.now() > row.expiresAt.getTime()) throw trustNotFound(id);
      if (row.remainingUses !== null && row.remainingUses <= 0) throw trustNotFound(id);
    }
    return this.withRoles(row, tx);
  }

  /**
   * Keystone's `get_trust`: the trust, and for a redelegated one every link of its chain must
   * still hold (each parent findable, the redelegation rules between each pair, each parent's
   * trustee enabled; a broken link is the generic 403).
   */
  async get(id: string): Promise<Trust> {
    const trust = await this.find(id);
    if (!trust.redelegatedTrustId) return trust;
    const chain = await this.pedigree(trust);
    for (let i = 1; i < chain.length; i++) {
      const parent = chain[i]!;
      checkRedelegation(parent, { ...chain[i - 1]! });
      const agent = await this.users.findOneBy({ id: parent.trusteeUserId });
      if (!agent?.enabled) throw refused('One of the trust agents is disabled or deleted');
    }
    return trust;
  }

  /** The trust and the trusts it was redelegated from, nearest first (each must be findable). */
  async pedigree(trust: Trust): Promise<Trust[]> {
    const chain = [trust];
    const seen = new Set([trust.id]);
    for (let t = trust; t.redelegatedTrustId;) {
      if (seen.has(t.redelegatedTrustId)) throw refused(`trust ${trust.id} has a cycle in its pedigree`);
      t = await this.find(t.redelegatedTrustId);
      seen.add(t.id);
      chain.push(t);
    }
    return chain;
  }

  /** Trusts not deleted (expired and used-up ones included, as Keystone lists them), optionally of one trustor or trustee. */
  async list(f: { trustorUserId?: string; trusteeUserId?: string } = {}): Promise<Trust[]> {
    const rows = await this.trusts.find({
      where: { deletedAt: IsNull(), ...(f.trustorUserId !== undefined ? { trustorUserId: f.trustorUserId } : {}), ...(f.trusteeUserId !== undefined ? { trusteeUserId: f.trusteeUserId } : {}) },
      order: { id: 'ASC' },
    });
    return rows.map((r) => toTrust(r, []));
  }

  /** Global or domain-specific roles named exactly `name` (Keystone's `get_unique_role_by_name`: 404 none, 400 several). */
  async roleByName(name: string): Promise<RoleEntity> {
    // Compared here as well: MariaDB's default collation would also match other cases.
    const found = (await this.roles.findBy({ name })).filter((r) => r.name === name);
    if (!found.length) throw new DomainError('NotFound', `Role ${name} is not defined`);
    if (found.length > 1) {
      throw new InvalidInputError(`There are multiple role entities named '${name}'. Please use ID instead of names to resolve the ambiguity.`);
    }
    return found[0]!;
  }

  /** The roles `roleIds` stand for, with every role they imply, transitively (Keystone's `add_implied_roles`). */
  async withImplied(roleIds: readonly string[]): Promise<Set<string>> {
    const all = new Set(roleIds);
    let frontier = [...all];
    while (frontier.length) {
      const rows = await this.impliedRoles.findBy({ priorRoleId: In(frontier) });
      frontier = rows.map((r) => r.impliedRoleId).filter((id) => !all.has(id));
      for (const id of frontier) all.add(id);
    }
    return all;
  }

  /** The global roles among `ids` that still exist, by name (a domain-specific role never shows in a token). */
  async globalRoles(ids: Iterable<string>): Promise<RoleEntity[]> {
    const list = [...ids];
    if (!list.length) return [];
    const roles = await this.roles.findBy({ id: In(list), domainId: NULL_DOMAIN_ID });
    return roles.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The roles among `ids` that still exist (a trust's roles as shown: deleted roles drop out). */
  async existingRoles(ids: readonly string[]): Promise<RoleEntity[]> {
    if (!ids.length) return [];
    const byId = new Map((await this.roles.findBy({ id: In([...ids]) })).map((r) => [r.id, r]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  // ------------------------------------------------------------------ writes

  /**
   * Keystone's `create_trust`: the redelegation depth, `remaining_uses` (not with redelegation)
   * and, when `redelegated` (the trust of the caller's trust-scoped token) is given, every rule
   * between the new trust and each trust of its pedigree. A trust like an existing one (same
   * trustor, trustee, project, impersonation and expiry) is a 409.
   */
  async create(input: TrustInput, redelegated?: Trust): Promise<Trust> {
    const id = newId();
    let requested = input.redelegationCount ?? undefined;
    const redelegatable = input.allowRedelegation && requested !== 0;
    let count: number | undefined;
    if (!redelegatable) {
      count = requested = 0;
      if (input.remainingUses !== null && input.remainingUses <= 0) throw new InvalidInputError('remaining_uses must be a positive integer or null.');
    } else {
      if (requested && requested > MAX_REDELEGATION_COUNT) {
        throw refused(`Requested redelegation depth of ${requested} is greater than allowed ${MAX_REDELEGATION_COUNT}`);
      }
      if (input.remainingUses !== null) throw new InvalidInputError('remaining_uses must not be set if redelegation is allowed');
      count = requested;
    }
    const candidate = { ...input, redelegatedTrustId: null as string | null };
    if (redelegated) {
      candidate.redelegatedTrustId = redelegated.id;
      const remaining = (redelegated.redelegationCount ?? 0) - 1;
      if (redelegatable && requested && requested !== remaining) {
        throw refused('Modifying "redelegation_count" upon redelegation is forbidden. Omitting this parameter is advised.');
      }
      count ??= remaining;
      for (const t of await this.pedigree(redelegated)) {
        // A trust without an expiry inherits its parent's (Keystone's rule).
        candidate.expiresAt = checkRedelegation(t, candidate);
      }
    }
    count ??= MAX_REDELEGATION_COUNT;
    const row: TrustEntity = Object.assign(new TrustEntity(), {
      id,
      trustorUserId: candidate.trustorUserId,
      trusteeUserId: candidate.trusteeUserId,
      projectId: candidate.projectId,
      impersonation: candidate.impersonation,
      expiresAt: candidate.expiresAt,
      remainingUses: candidate.remainingUses,
      redelegatedTrustId: candidate.redelegatedTrustId,
      redelegationCount: count,
      deletedAt: null,
      extra: Object.keys(input.extra).length ? input.extra : null,
    });
    // A role named twice is a duplicate row, hence Keystone's 409, as for a duplicate trust.
    const roleIds = [...input.roleIds];
    try {
      await this.db.transaction(async (tx) => {
        await tx.insert(TrustEntity, row as never);
        for (const roleId of roleIds) await tx.insert(TrustRoleEntity, { trustId: id, roleId });
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError('trust', `Duplicate entry found with ID ${id}`);
      throw e;
    }
    return toTrust(row, roleIds);
  }

  /**
   * Uses the trust once, atomically: the decrement only happens while uses remain, so concurrent
   * token requests can never overspend. Unlimited trusts are left alone. Keystone's
   * TrustUseLimitReached (a 403) when none remain; TrustNotFound when the trust is gone. The last
   * use makes the trust unfindable, its tokens included (Keystone's behaviour): a revocation
   * event tells every replica at once.
   */
  async consumeUse(id: string): Promise<void> {
    const r = await this.db.write((m) => m.createQueryBuilder().update(TrustEntity)
      .set({ remainingUses: () => 'remaining_uses - 1' })
      .where('id = :id AND deleted_at IS NULL AND remaining_uses IS NOT NULL AND remaining_uses > 0', { id })
      .execute());
    const row = await this.trusts.findOneBy({ id, deletedAt: IsNull() });
    if (r.affected) {
      if (row?.remainingUses === 0) await this.revocations.revoke({ trustId: id });
      return;
    }
    if (!row) throw trustNotFound(id);
    if (row.remainingUses === null) return;
    throw refused(`No remaining uses for trust: ${id}.`);
  }

  /**
   * Keystone's `delete_trust`: the trust must be findable (a deleted, expired or used-up one is a
   * 404); the trusts redelegated from it by the same trustor go first, then the trust itself.
   * Each gets `deleted_at` and a revocation event for its tokens.
   */
  async delete(id: string): Promise<void> {
    const trust = await this.find(id);
    await this.deleteChain(trust, new Set());
  }

  private async deleteChain(trust: Pick<Trust, 'id' | 'trustorUserId'>, seen: Set<string>): Promise<void> {
    seen.add(trust.id);
    const children = await this.trusts.findBy({ trustorUserId: trust.trustorUserId, redelegatedTrustId: trust.id, deletedAt: IsNull() });
    for (const child of children) {
      if (seen.has(child.id)) continue;
      // As Keystone: a child that can no longer be found (expired, used up) is left as it is.
      const found = await this.find(child.id).catch((e) => {
        if (e instanceof DomainError && e.code === 'NotFound') return undefined;
        throw e;
      });
      if (found) await this.deleteChain(found, seen);
    }
    await this.db.transaction(async (tx) => {
      const r = await tx.update(TrustEntity, { id: trust.id, deletedAt: IsNull() }, { deletedAt: new Date() });
      // Deleted meanwhile by someone else: nothing more to do (Keystone ignores it as well).
      if (r.affected) await this.revocations.revoke({ trustId: trust.id }, tx);
    });
  }

  private async withRoles(row: TrustEntity, tx: EntityManager): Promise<Trust> {
    const roles = await tx.findBy(TrustRoleEntity, { trustId: row.id });
    return toTrust(row, roles.map((r) => r.roleId).sort());
  }
}

function toTrust(r: TrustEntity, roleIds: string[]): Trust {
  return {
    id: r.id, trustorUserId: r.trustorUserId, trusteeUserId: r.trusteeUserId, projectId: r.projectId,
    impersonation: !!r.impersonation, expiresAt: r.expiresAt, remainingUses: r.remainingUses,
    redelegatedTrustId: r.redelegatedTrustId, redelegationCount: r.redelegationCount, deletedAt: r.deletedAt,
    extra: r.extra ?? {}, roleIds,
  };
}

/**
 * Keystone's `_validate_redelegation` of `trust` against `parent`, one of its pedigree: the
 * parent may still be redelegated (depth in 1..max), the child has no use limit, expires no
 * later than the parent, delegates a subset of its roles and impersonates only if it does.
 * Returns the child's expiry (the parent's when it has none). Every refusal is the generic 403.
 */
export function checkRedelegation(
  parent: Pick<Trust, 'id' | 'redelegationCount' | 'expiresAt' | 'roleIds' | 'impersonation'>,
  trust: Pick<Trust, 'remainingUses' | 'expiresAt' | 'roleIds' | 'impersonation'>,
): Date | null {
  const depth = parent.redelegationCount ?? 0;
  if (!(depth > 0 && depth <= MAX_REDELEGATION_COUNT)) {
    throw refused(`Remaining redelegation depth of ${depth} out of allowed range of [0..${MAX_REDELEGATION_COUNT}]`);
  }
  if (trust.remainingUses !== null) {
    throw refused(`Field "remaining_uses" is set to ${trust.remainingUses} while it must not be set in order to redelegate a trust`);
  }
  let expiresAt = trust.expiresAt;
  if (expiresAt) {
    if (parent.expiresAt && parent.expiresAt.getTime() < expiresAt.getTime()) throw refused('Requested expiration time is more than redelegated trust can provide');
  } else {
    expiresAt = parent.expiresAt;
  }
  const parentRoles = new Set(parent.roleIds);
  if (!trust.roleIds.every((r) => parentRoles.has(r))) throw refused('Some of requested roles are not in redelegated trust');
  if (!parent.impersonation && trust.impersonation) {
    throw refused(`Impersonation is not allowed because redelegated trust does not specify impersonation. Redelegated trust id: ${parent.id}`);
  }
  return expiresAt;
}
