import { Injectable } from '@nestjs/common';
import {
  newAlibabaAccessKeyId, newAlibabaAccessKeySecret, randomAlphanumeric, randomLowerHex, randomUpperAlphanumeric,
} from '@lintel/credentials';
import { TransactionRunner } from '../database/transaction-runner.js';
import { CredentialEntity, type CredentialState, type UserEntity } from '../entities/index.js';
import { ConflictError, DomainError, ForbiddenError, NotFoundError } from '../errors.js';
import { AssignmentService } from './assignment.service.js';
import { AuditService } from './audit.service.js';
import { CloudAccountService, NoHomeProjectError } from './cloud-account.service.js';
import { CredentialService, isEc2, type Credential } from './credential.service.js';
import { IdentityService } from './identity.service.js';

/**
 * What sets one key API's keys apart from another's (docs/access-keys.md, "Dialects"): the
 * issuer recorded on the credential, the shape of the id and the secret, a per-user limit of the
 * issuer's keys, whether issuing replaces the previous key, how far ahead an expiry may lie.
 */
export interface KeyDialect {
  readonly issuer: string;
  readonly newAccess: () => string;
  readonly newSecret: () => string;
  /** Most keys of this issuer one user may hold, active and inactive alike (LINTEL_CREDENTIAL_USER_LIMIT applies too). */
  readonly perUser?: number;
  /** Issuing deletes the user's previous keys of this issuer in the same transaction (Edgio's initKeyPair). */
  readonly replaces?: boolean;
  /** How far ahead an expiry may lie. */
  readonly maxLifetimeMs?: number;
}

const YEAR_MS = 365 * 86_400_000;

/** The five key APIs Lintel serves besides Keystone's own (docs/access-keys.md). */
export const KEY_DIALECTS = {
  /** The browser console: 20 `[A-Z0-9]`, 40 `[A-Za-z0-9]`, expiry within ten years. */
  console: { issuer: 'console', newAccess: () => randomUpperAlphanumeric(20), newSecret: () => randomAlphanumeric(40), maxLifetimeMs: 10 * YEAR_MS },
  /** SODA multicloud's aksks: 16 and 32 `[A-Za-z0-9]`. */
  soda: { issuer: 'soda', newAccess: () => randomAlphanumeric(16), newSecret: () => randomAlphanumeric(32) },
  /** Edgio: 36 lower-case hex each; one pair per user, replaced on every issue. */
  edgio: { issuer: 'edgio', newAccess: () => randomLowerHex(36), newSecret: () => randomLowerHex(36), replaces: true },
  /** Outscale: 20 and 40 `[A-Z0-9]`, at most ten per user. */
  outscale: { issuer: 'outscale', newAccess: () => randomUpperAlphanumeric(20), newSecret: () => randomUpperAlphanumeric(40), perUser: 10 },
  /** Alibaba Cloud IMS: `LTAI` + 20 alphanumerics, 30-character secrets, at most two per user. */
  alibaba: { issuer: 'alibaba', newAccess: newAlibabaAccessKeyId, newSecret: newAlibabaAccessKeySecret, perUser: 2 },
} as const satisfies Record<string, KeyDialect>;

/** The policy rule that lifts an expiry: clears it or moves it later (docs/access-keys.md, "Expiry"). */
export const EXTEND_EXPIRY_RULE = 'lintel:extend_key_expiry';

/** What a key decision is about: whose keys, on which project. */
export interface KeyTarget {
  readonly ownerId: string;
  /** The owner, or null when no such user exists. */
  readonly owner: UserEntity | null;
  /** The key's project; for a new key or a list, the project the keys are on. */
  readonly projectId: string | null;
}

/**
 * Who asks the core for a key operation. The core never decides who may do what: `may` asks the
 * policy engine (libs/auth builds callers from a token, a signing key or a password login), and
 * the core says only what is asked about. The rest is for the audit trail.
 */
export interface KeyCaller {
  readonly userId: string;
  /** The project the caller acts on (a token's scope, a signing key's project), if any. */
  readonly projectId: string | null;
  readonly address?: string | null;
  readonly requestId?: string | null;
  /** The application credential the caller acts through: keys it makes carry it (docs/keystone-application-credentials.md, "EC2 credentials"). */
  readonly appCredId?: string | null;
  may(action: string, target: KeyTarget): Promise<boolean>;
}

/** The user a key would be for does not exist, or holds no role on the key's project. */
export class KeyOwnerNotFoundError extends NotFoundError {
  constructor(readonly userId: string) {
    super('user', userId);
  }
}

/** No such key where it was looked for (or one the caller may not see). */
export class KeyNotFoundError extends NotFoundError {
  constructor(readonly access: string) {
    super('access key', access);
  }
}

/** The user holds the most keys of this dialect allowed. */
export class KeyLimitError extends DomainError {
  constructor(readonly limit: number) {
    super('Conflict', `The user already holds ${limit} access keys.`);
  }
}

/** Where a key is looked for: in a project (the console's path), or among a user's keys (the clouds' UserName). */
export type KeyRef =
  | { readonly access: string; readonly projectId: string; /** a key the caller may not read this way is "not found" */ readonly readAction: string }
  | { readonly access: string; readonly ownerId: string };

export interface NewKey {
  /** The policy action deciding it (`lintel:<dialect>:...`). */
  readonly action: string;
  readonly ownerId: string;
  /** The owning project; absent: the owner's home project (CloudAccountService.homeProject). */
  readonly projectId?: string;
  readonly expiresAt?: Date | null;
  readonly extra?: Record<string, unknown>;
  /** Runs once the policy allowed the request and before anything else (the console's password confirmation). */
  readonly confirm?: () => Promise<void>;
  /** Decide, but write nothing (Outscale's DryRun). */
  readonly dryRun?: boolean;
}

export interface KeyPatch {
  readonly state?: CredentialState;
  /** A new expiry; null clears it; undefined leaves it as it is. */
  readonly expiresAt?: Date | null;
  /** Members merged into the credential's extras (null removes one by convention of the dialect). */
  readonly extra?: Record<string, unknown>;
}

/** Lifting an expiry: clearing it, or moving it later. */
const lifts = (current: Date | null, next: Date | null | undefined): boolean =>
  next !== undefined && current !== null && (next === null || next.getTime() > current.getTime());

/**
 * The one access-key core (docs/access-keys.md): issue, list, find, update, delete for every key
 * API (console, SODA, Edgio, Outscale, Alibaba). Each decision is a `lintel:*` rule of the policy
 * engine asked through the caller; ownership, membership, limits, collisions and the audit trail
 * are here, once. Dialects translate their wire format to these calls and the errors back.
 */
@Injectable()
export class AccessKeyService {
  constructor(
    private readonly db: TransactionRunner,
    private readonly credentials: CredentialService,
    private readonly identity: IdentityService,
    private readonly assignments: AssignmentService,
    private readonly accounts: CloudAccountService,
    private readonly audit: AuditService,
  ) {}

  /** The one membership check: the user holds a role (direct, by group or inherited) on the project now. */
  async holdsRoleOn(userId: string, projectId: string): Promise<boolean> {
    return (await this.assignments.effectiveRoles(userId, { project: projectId })).length > 0;
  }

  /**
   * Issues a key for `ownerId` on `projectId` (or the owner's home project). Order: the policy
   * (ForbiddenError), `confirm`, the owner and its role on the project (KeyOwnerNotFoundError /
   * NoHomeProjectError), then one transaction on the owner's locked row: the dialect's limit
   * (KeyLimitError; CredentialLimitError for LINTEL_CREDENTIAL_USER_LIMIT), the replaced keys
   * deleted, the new one inserted. A colliding id is drawn again, twice at most.
   *
   * @returns the credential and its secret (shown once), or null for a dry run.
   */
  async issue(caller: KeyCaller, dialect: KeyDialect, k: NewKey): Promise<{ credential: Credential; secret: string } | null> {
    const owner = await this.identity.getUser(k.ownerId);
    const projectId = k.projectId ?? (owner ? (await this.accounts.homeProject(owner))?.id ?? null : null);
    await this.enforce(caller, k.action, { ownerId: k.ownerId, owner, projectId });
    await k.confirm?.();
    if (!owner) throw new KeyOwnerNotFoundError(k.ownerId);
    if (!projectId) throw new NoHomeProjectError(owner.id);
    if (k.projectId !== undefined && !(await this.holdsRoleOn(owner.id, projectId))) throw new KeyOwnerNotFoundError(owner.id);
    if (k.dryRun) return null;
    for (let attempt = 0; ; attempt++) {
      const access = dialect.newAccess();
      const secret = dialect.newSecret();
      try {
        const { credential, replaced } = await this.db.transaction(async (m) => {
          await this.credentials.lockUser(m, owner.id);
          let replaced: string[] = [];
          if (dialect.replaces) {
            replaced = (await m.find(CredentialEntity, { where: { userId: owner.id, issuer: dialect.issuer }, select: { id: true } })).map((r) => r.id);
            if (replaced.length) await m.delete(CredentialEntity, replaced);
          }
          if (dialect.perUser !== undefined && (await m.countBy(CredentialEntity, { userId: owner.id, issuer: dialect.issuer })) >= dialect.perUser) {
            throw new KeyLimitError(dialect.perUser);
          }
          const credential = await this.credentials.create({
            userId: owner.id, projectId, type: 'ec2', issuer: dialect.issuer, blob: JSON.stringify({ access, secret, ...(caller.appCredId ? { app_cred_id: caller.appCredId } : {}) }),
            expiresAt: k.expiresAt ?? null, extra: k.extra ?? {},
          }, m);
          return { credential, replaced };
        });
        for (const id of replaced) this.record(caller, 'deleted', id);
        this.record(caller, 'created', credential.id);
        return { credential, secret };
      } catch (e) {
        // Random ids colliding is rare (and all but impossible for the longer ones): draw again.
        if (!(e instanceof ConflictError) || attempt >= 2) throw e;
      }
    }
  }

  /**
   * The access keys matching `where` that the caller may see with `action`, oldest first. The
   * caller must first pass `action` on `gate` (ForbiddenError): the owner's keys on `gate.projectId`
   * (absent: the owner's home project); with `member`, the owner must also hold a role there
   * (KeyOwnerNotFoundError). Each key is then shown only where `action` allows it for that key's
   * owner and project.
   */
  async list(
    caller: KeyCaller,
    action: string,
    where: { readonly ownerId?: string; readonly projectId?: string },
    gate: { readonly ownerId: string; readonly projectId?: string; readonly member?: boolean },
  ): Promise<Credential[]> {
    const owners = new Map<string, Promise<UserEntity | null>>();
    const ownerOf = (id: string) => {
      let u = owners.get(id);
      if (!u) owners.set(id, (u = this.identity.getUser(id)));
      return u;
    };
    await this.pass(caller, action, gate, await ownerOf(gate.ownerId));
    const decisions = new Map<string, Promise<boolean>>();
    const shown: Credential[] = [];
    for (const c of await this.credentials.list({ userId: where.ownerId, projectId: where.projectId })) {
      if (!isEc2(c.type) || c.accessKey === null) continue;
      const key = `${c.userId}|${c.projectId}`;
      let ok = decisions.get(key);
      if (!ok) decisions.set(key, (ok = ownerOf(c.userId).then((u) => caller.may(action, { ownerId: c.userId, owner: u, projectId: c.projectId }))));
      if (await ok) shown.push(c);
    }
    return shown;
  }

  /** One key, as {@link locate} finds it. */
  get(caller: KeyCaller, action: string, ref: KeyRef): Promise<Credential> {
    return this.locate(caller, action, ref);
  }

  /**
   * Changes a key's state, expiry or extras, on the locked row. Bringing an expiry forward (or
   * setting one where there was none) needs only `action`; lifting one, clearing it or moving it
   * later, needs {@link EXTEND_EXPIRY_RULE} too (ForbiddenError), judged on the stored expiry.
   */
  async update(caller: KeyCaller, action: string, ref: KeyRef, patch: KeyPatch, o: { dryRun?: boolean } = {}): Promise<Credential> {
    const key = await this.locate(caller, action, ref);
    const target = { ownerId: key.userId, owner: await this.identity.getUser(key.userId), projectId: key.projectId };
    // Asked before the transaction (a policy decision may query), applied to the row as locked.
    const mayLift = lifts(key.expiresAt, patch.expiresAt) && (await caller.may(EXTEND_EXPIRY_RULE, target));
    if (lifts(key.expiresAt, patch.expiresAt) && !mayLift) throw new ForbiddenError(EXTEND_EXPIRY_RULE);
    if (o.dryRun) return key;
    const updated = await this.credentials.update(key.id, { state: patch.state, expiresAt: patch.expiresAt, extra: patch.extra }, (current) => {
      if (!this.sameHome(ref, current)) throw new KeyNotFoundError(ref.access);
      if (lifts(current.expiresAt, patch.expiresAt) && !mayLift) throw new ForbiddenError(EXTEND_EXPIRY_RULE);
    });
    this.record(caller, 'updated', updated.id);
    return updated;
  }

  /** Deletes one key. */
  async delete(caller: KeyCaller, action: string, ref: KeyRef, o: { dryRun?: boolean } = {}): Promise<void> {
    const key = await this.locate(caller, action, ref);
    if (o.dryRun) return;
    await this.credentials.delete(key.id);
    this.record(caller, 'deleted', key.id);
  }

  /** Deletes every access key of the owner on the project (SODA's DELETE), after `action` and the membership check of {@link list}. */
  async deleteAll(caller: KeyCaller, action: string, ownerId: string, projectId: string): Promise<number> {
    await this.pass(caller, action, { ownerId, projectId, member: true }, await this.identity.getUser(ownerId));
    const ids = await this.credentials.deleteWhere({ userId: ownerId, projectId, type: 'ec2' });
    for (const id of ids) this.record(caller, 'deleted', id);
    return ids.length;
  }

  /** A key with its last use as recorded now (uses are written in batches; this process's are flushed first). */
  async lastUsed(caller: KeyCaller, action: string, ref: KeyRef): Promise<Credential> {
    const key = await this.locate(caller, action, ref);
    await this.credentials.flushUse();
    return (await this.credentials.get(key.id)) ?? key;
  }

  /**
   * Finds a key and asks the policy, in an order that tells nothing to who may not know:
   * - in a project: a key elsewhere, or one `readAction` does not show the caller, is
   *   KeyNotFoundError; then `action` (ForbiddenError);
   * - among a user's keys: `action` on the key's project (on the owner's home project when the
   *   user has no such key), ForbiddenError; then KeyNotFoundError.
   */
  private async locate(caller: KeyCaller, action: string, ref: KeyRef): Promise<Credential> {
    const found = await this.credentials.findByAccessKey(ref.access);
    const key = found && isEc2(found.type) && found.accessKey !== null ? found : null;
    if ('projectId' in ref) {
      if (!key || key.projectId !== ref.projectId) throw new KeyNotFoundError(ref.access);
      const target = { ownerId: key.userId, owner: await this.identity.getUser(key.userId), projectId: key.projectId };
      if (!(await caller.may(ref.readAction, target))) throw new KeyNotFoundError(ref.access);
      await this.enforce(caller, action, target);
      return key;
    }
    const owner = await this.identity.getUser(ref.ownerId);
    const mine = key?.userId === ref.ownerId ? key : null;
    const projectId = mine ? mine.projectId : owner ? (await this.accounts.homeProject(owner))?.id ?? null : null;
    await this.enforce(caller, action, { ownerId: ref.ownerId, owner, projectId });
    if (!mine) throw new KeyNotFoundError(ref.access);
    return mine;
  }

  /** The gate of {@link list} and {@link deleteAll}. */
  private async pass(caller: KeyCaller, action: string, gate: { ownerId: string; projectId?: string; member?: boolean }, owner: UserEntity | null): Promise<void> {
    const projectId = gate.projectId ?? (owner ? (await this.accounts.homeProject(owner))?.id ?? null : null);
    await this.enforce(caller, action, { ownerId: gate.ownerId, owner, projectId });
    if (gate.member && (!owner || !projectId || !(await this.holdsRoleOn(owner.id, projectId)))) throw new KeyOwnerNotFoundError(gate.ownerId);
  }

  /** The key is still where it was found (a concurrent change may have moved it). */
  private sameHome(ref: KeyRef, current: Credential): boolean {
    return 'projectId' in ref ? current.projectId === ref.projectId : current.userId === ref.ownerId;
  }

  private async enforce(caller: KeyCaller, action: string, target: KeyTarget): Promise<void> {
    if (!(await caller.may(action, target))) throw new ForbiddenError(action);
  }

  /** The audit event of a change, emitted here where it happens (docs/access-keys.md, "Audit"). */
  private record(caller: KeyCaller, what: 'created' | 'updated' | 'deleted', credentialId: string): void {
    this.audit.record({
      action: `${what}.credential`,
      outcome: 'success',
      targetType: 'credential',
      targetId: credentialId,
      initiator: { userId: caller.userId, projectId: caller.projectId, address: caller.address ?? null },
      requestId: caller.requestId ?? null,
    });
  }
}
