import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { Repository } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import { PasswordEntity, UserEntity } from '../entities/index.js';
import { boundedExtra, ConflictError, ForbiddenError, insertOrConflict, InvalidInputError, NotFoundError, UnauthenticatedError } from '../errors.js';
import { removeOwned } from './cascade.js';
import { newId } from '../ids.js';
import { MAX_PASSWORD_BYTES, maxVerifiedPasswordBytes, PasswordHasher } from '../password-hasher.js';
import { RevocationService } from './revocation.service.js';
import { pageByName, type Page, type PageRequest } from './page.js';
import { allowedMatches, whereTextMatches, type TextMatches } from './text-match.js';

const DAY = 24 * 3600 * 1000;

export interface NewUser {
  id?: string;
  name: string;
  domainId: string;
  password?: string;
  enabled?: boolean;
  defaultProjectId?: string | null;
  /** Keystone user options (`ignore_password_expiry`, `ignore_lockout_failure_attempts`, ...). */
  options?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

export interface LockoutPolicy {
  /** Consecutive failures that lock the account; undefined turns lockout off (Keystone's default). */
  failureAttempts: number | undefined;
  /** Seconds a lock lasts. */
  duration: number;
}

export type PasswordCheck = 'ok' | 'mismatch' | 'locked' | 'expired';

/** Users and their passwords (Keystone's identity manager, SQL driver). */
@Injectable()
export class IdentityService {
  /** A real bcrypt hash compared against when the user is unknown, so timing does not tell. */
  private dummyHash: Promise<string> | undefined;
  /** Reserved password attempts still being checked, per user (checkPassword). */
  private readonly inFlight = new Map<string, Set<Promise<void>>>();

  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(PasswordEntity) private readonly passwords: Repository<PasswordEntity>,
    private readonly db: TransactionRunner,
    private readonly hasher: PasswordHasher,
    private readonly revocations: RevocationService,
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
  ) {}

  getUser(id: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ id });
  }

  findUserByName(domainId: string, name: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ domainId, name });
  }

  /**
   * Users matching exact filters and inexact ones on `name` and `domain_id`, by name, one page
   * (read through `ix_users_name` or `uq_users_domain_name`: docs/performance.md).
   */
  listUsers(f: { name?: string; domainId?: string; enabled?: boolean; match?: TextMatches } = {}, page: PageRequest = {}): Promise<Page<UserEntity>> {
    const qb = this.users.createQueryBuilder('u');
    if (f.name !== undefined) qb.andWhere('u.name = :name', { name: f.name });
    if (f.domainId !== undefined) qb.andWhere('u.domain_id = :domainId', { domainId: f.domainId });
    if (f.enabled !== undefined) qb.andWhere('u.enabled = :enabled', { enabled: f.enabled });
    for (const [column, m] of allowedMatches(f.match, { name: 'u.name', domain_id: 'u.domain_id' })) whereTextMatches(this.users.manager.connection, qb, column, m);
    return pageByName(qb, 'u', page, async (id) => (await this.getUser(id))?.name ?? null);
  }

  /** The user's current password row (the newest), or null for a user without a password. */
  currentPassword(userId: string): Promise<PasswordEntity | null> {
    return this.passwords.findOne({ where: { userId }, order: { id: 'DESC' } });
  }

  /** When each user's current password expires (null: never, or no password), in one statement for a page of users. */
  async passwordExpiries(userIds: readonly string[]): Promise<Map<string, Date | null>> {
    const out = new Map<string, Date | null>(userIds.map((id) => [id, null]));
    for (let at = 0; at < userIds.length; at += 500) {
      const ids = userIds.slice(at, at + 500);
      const rows = await this.passwords.createQueryBuilder('p')
        .select(['p.userId', 'p.expiresAt'])
        .where('p.id IN (SELECT MAX(q.id) FROM passwords q WHERE q.user_id IN (:...ids) GROUP BY q.user_id)', { ids })
        .getMany();
      for (const r of rows) out.set(r.userId, r.expiresAt);
    }
    return out;
  }

  async createUser(u: NewUser): Promise<UserEntity> {
    const hash = u.password === undefined ? undefined : await this.hashChecked(u.password);
    const options = withoutNulls(u.options ?? {});
    return this.db.transaction(async (tx) => {
      const conflict = () => new ConflictError('user', `Duplicate entry found with name ${u.name} at domain ID ${u.domainId}`);
      if (await tx.findOneBy(UserEntity, { domainId: u.domainId, name: u.name })) throw conflict();
      const user = tx.create(UserEntity, {
        id: u.id ?? newId(), name: u.name, domainId: u.domainId, enabled: u.enabled ?? true,
        defaultProjectId: u.defaultProjectId ?? null, options, extra: boundedExtra(u.extra ?? {}), createdAt: new Date(),
        lastActiveAt: null, failedAuthCount: 0, failedAuthAt: null,
      });
      await insertOrConflict(() => tx.insert(UserEntity, user as never), user, conflict);
      if (hash) await tx.insert(PasswordEntity, { userId: user.id, passwordHash: hash, createdAt: new Date(), expiresAt: this.expiryOf(user, false), selfService: false });
      return user;
    });
  }

  /** Sets a new password, clears lockout and revokes the user's existing tokens, in one transaction. */
  async setPassword(userId: string, password: string, selfService = false): Promise<void> {
    const hash = await this.hashChecked(password);
    await this.checkHistory(userId, password, selfService);
    await this.db.transaction(async (tx) => {
      const user = await tx.findOneBy(UserEntity, { id: userId });
      if (!user) throw new NotFoundError('user', userId);
      await tx.insert(PasswordEntity, { userId, passwordHash: hash, createdAt: new Date(), expiresAt: this.expiryOf(user, selfService), selfService });
      await tx.update(UserEntity, { id: userId }, { failedAuthCount: 0, failedAuthAt: null });
      await this.revocations.revoke({ userId }, tx);
    });
  }

  /**
   * Changes a user. A new password (set by an administrator) clears lockout; disabling the user
   * or changing the password revokes the user's tokens; all in one transaction.
   */
  async updateUser(id: string, patch: { name?: string; enabled?: boolean; defaultProjectId?: string | null; password?: string; options?: Record<string, unknown>; extra?: Record<string, unknown> }): Promise<UserEntity> {
    const hash = patch.password === undefined ? undefined : await this.hashChecked(patch.password);
    if (patch.password !== undefined) await this.checkHistory(id, patch.password, false);
    return this.db.transaction(async (tx) => {
      const u = await tx.findOneBy(UserEntity, { id });
      if (!u) throw new NotFoundError('user', id);
      if (patch.name !== undefined && patch.name !== u.name && (await tx.findOneBy(UserEntity, { domainId: u.domainId, name: patch.name }))) {
        throw new ConflictError('user', `Duplicate entry found with name ${patch.name} at domain ID ${u.domainId}`);
      }
      const next: UserEntity = {
        ...u,
        name: patch.name ?? u.name,
        enabled: patch.enabled ?? u.enabled,
        defaultProjectId: patch.defaultProjectId !== undefined ? patch.defaultProjectId : u.defaultProjectId,
        extra: boundedExtra(patch.extra ? { ...(u.extra ?? {}), ...patch.extra } : u.extra),
        options: patch.options ? withoutNulls({ ...(u.options ?? {}), ...patch.options }) : u.options,
      };
      await tx.update(UserEntity, { id }, { name: next.name, enabled: next.enabled, defaultProjectId: next.defaultProjectId, extra: next.extra as never, options: next.options as never });
      if (hash) {
        await tx.insert(PasswordEntity, { userId: id, passwordHash: hash, createdAt: new Date(), expiresAt: this.expiryOf(next, false), selfService: false });
        await tx.update(UserEntity, { id }, { failedAuthCount: 0, failedAuthAt: null });
      }
      if ((u.enabled && !next.enabled) || hash) await this.revocations.revoke({ userId: id }, tx);
      return next;
    });
  }

  /** Deletes a user with their grants, credentials and passwords, revoking their tokens, in one transaction. */
  async deleteUser(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!(await tx.findOneBy(UserEntity, { id }))) throw new NotFoundError('user', id);
      await removeOwned(tx, { projectIds: [], userIds: [id], targetIds: [] });
      await tx.delete(UserEntity, { id });
      await this.revocations.revoke({ userId: id }, tx);
    });
  }

  /** Self-service change (`POST /v3/users/{id}/password`): the original password must verify. */
  async changePassword(id: string, original: string, password: string, lockout: LockoutPolicy): Promise<void> {
    const user = await this.getUser(id);
    const check = await this.checkPassword(user && user.enabled ? user : null, original, lockout);
    if (check !== 'ok' && check !== 'expired') throw new UnauthenticatedError(`password change for ${id}: original password ${check}`);
    if (user!.options?.lock_password === true) throw new ForbiddenError('identity:change_password');
    const policy = this.cfg.password;
    const current = await this.currentPassword(id);
    if (policy.minimumAgeDays && current?.selfService !== false && current) {
      const ready = current.createdAt.getTime() + policy.minimumAgeDays * DAY;
      if (Date.now() < ready) {
        throw new InvalidInputError(`Password validation error: You cannot change your password at this time due to the minimum password age. Once you change your password, it must be used for ${policy.minimumAgeDays} day(s) before it can be changed. Please try again in ${Math.ceil((ready - Date.now()) / DAY)} day(s) or contact your administrator to reset your password.`);
      }
    }
    await this.setPassword(id, password, true);
  }

  /** Disabling a user revokes all of their tokens. */
  async setUserEnabled(userId: string, enabled: boolean): Promise<void> {
    await this.db.transaction(async (tx) => {
      const r = await tx.update(UserEntity, { id: userId }, enabled ? { enabled, failedAuthCount: 0, failedAuthAt: null } : { enabled });
      if (!r.affected) throw new NotFoundError('user', userId);
      if (!enabled) await this.revocations.revoke({ userId }, tx);
    });
  }

  /**
   * Checks a password the way Keystone does: lockout first, then the hash, then expiry. Always
   * runs one bcrypt comparison so that unknown, locked and wrong answers take the same time.
   *
   * With lockout on, the attempt is first reserved as a failure in the database (one conditional
   * UPDATE, which also tells whether the account is locked); only then is the password hashed,
   * and a right password releases it (the count starts over, as Keystone resets it). So a burst of
   * concurrent guesses gets at most `failureAttempts` password checks whose outcome counts,
   * however many are in flight, and the right password sent after them is refused
   * (docs/security.md, "M5"). Reading the count before hashing and writing it after let every
   * concurrent guess see "not locked".
   *
   * An attempt that found every slot taken may have met attempts still being checked, right ones
   * among them (a service logging in many times at once). After its hash it waits for this
   * process's attempts on the account to finish, whatever its own password (right and wrong take
   * the same time; with nothing in flight there is nothing to wait for), and asks for a slot once
   * more. Its outcome counts only with a slot; without one it is 'locked'.
   *
   * With `keepFailures`, a right password gives back only its own reservation and leaves earlier
   * failures for the caller to clear once the whole authentication has succeeded
   * (clearAuthFailures): a login that still lacks a second factor must not reset the count its
   * wrong passcodes built up (docs/keystone-totp-mfa.md).
   */
  async checkPassword(user: UserEntity | null, password: string, lockout: LockoutPolicy, o: { keepFailures?: boolean } = {}): Promise<PasswordCheck> {
    const current = user ? await this.currentPassword(user.id) : null;
    const tooLong = Buffer.byteLength(password, 'utf8') > maxVerifiedPasswordBytes(current?.passwordHash);
    const counted = !!user && !!current && lockout.failureAttempts !== undefined && user.options?.ignore_lockout_failure_attempts !== true;
    let reserved = counted ? await this.reserveFailure(user!.id, lockout) : true;
    const finished = counted && reserved ? this.checking(user!.id) : undefined;
    try {
      const matches = await this.hasher.verify(tooLong ? '' : password, current?.passwordHash ?? (await this.getDummyHash()));
      if (!user || !current) return 'mismatch';
      if (!reserved) {
        await this.settled(user.id);
        reserved = await this.reserveFailure(user.id, lockout);
        if (!reserved) return 'locked';
      }
      // A wrong password keeps its reservation: it is the failure counted.
      if (!matches || tooLong) return 'mismatch';
      if (o.keepFailures) {
        if (counted) await this.releaseFailure(user.id);
      } else if (counted || user.failedAuthCount > 0) {
        await this.clearAuthFailures(user.id);
      }
      if (current.expiresAt && current.expiresAt.getTime() <= Date.now()) return 'expired';
      return 'ok';
    } finally {
      finished?.();
    }
  }

  /** Notes a reserved attempt on the account as being checked; the function returned marks it finished. */
  private checking(userId: string): () => void {
    let done!: () => void;
    const p = new Promise<void>((resolve) => (done = resolve));
    let set = this.inFlight.get(userId);
    if (!set) this.inFlight.set(userId, (set = new Set()));
    set.add(p);
    return () => {
      set!.delete(p);
      if (!set!.size && this.inFlight.get(userId) === set) this.inFlight.delete(userId);
      done();
    };
  }

  /** Resolves once the account's reserved attempts in flight now (in this process) have finished. */
  private async settled(userId: string): Promise<void> {
    const set = this.inFlight.get(userId);
    if (set?.size) await Promise.all([...set]);
  }

  /**
   * Counts one failed attempt ahead of the password check, unless the account is locked: in one
   * statement, so concurrent attempts each see the others' reservations. A lock older than
   * `duration` has expired: the count starts again at 1. False when locked.
   */
  private async reserveFailure(userId: string, lockout: LockoutPolicy): Promise<boolean> {
    const now = new Date();
    const expiredBefore = new Date(now.getTime() - lockout.duration * 1000);
    const r = await this.db.write((m) => m.createQueryBuilder().update(UserEntity)
      .set({
        failedAuthCount: () => 'CASE WHEN failed_auth_at IS NULL OR failed_auth_at <= :expiredBefore THEN 1 ELSE failed_auth_count + 1 END',
        failedAuthAt: now,
      })
      .where('id = :id', { id: userId })
      .andWhere('(failed_auth_count < :limit OR failed_auth_at IS NULL OR failed_auth_at <= :expiredBefore)', { limit: lockout.failureAttempts, expiredBefore })
      .execute());
    return (r.affected ?? 0) > 0;
  }

  /** Gives back one reserved failure (a right password whose login goes on to another factor). */
  private async releaseFailure(userId: string): Promise<void> {
    await this.db.write((m) => m.createQueryBuilder().update(UserEntity)
      .set({ failedAuthCount: () => 'CASE WHEN failed_auth_count > 0 THEN failed_auth_count - 1 ELSE 0 END' })
      .where('id = :id', { id: userId }).execute());
  }

  /**
   * Lockout for a factor checked elsewhere (a TOTP passcode): a locked account is refused whatever
   * the factor said, and a wrong one counts as a failed attempt, as a wrong password does. A right
   * one clears nothing: clearAuthFailures does, once the whole authentication has succeeded.
   */
  async checkFactor(user: UserEntity, matches: boolean, lockout: LockoutPolicy): Promise<'ok' | 'mismatch' | 'locked'> {
    if (this.isLocked(user, lockout)) return 'locked';
    if (matches) return 'ok';
    if (this.countsFailures(user, lockout)) await this.recordFailure(user, lockout);
    return 'mismatch';
  }

  /** Resets the consecutive-failure count after a successful authentication. */
  async clearAuthFailures(userId: string): Promise<void> {
    await this.db.write((m) => m.getRepository(UserEntity).update({ id: userId }, { failedAuthCount: 0, failedAuthAt: null }));
  }

  private countsFailures(user: UserEntity, lockout: LockoutPolicy): boolean {
    return lockout.failureAttempts !== undefined && user.options?.ignore_lockout_failure_attempts !== true;
  }

  private isLocked(user: UserEntity, lockout: LockoutPolicy): boolean {
    return this.countsFailures(user, lockout) && user.failedAuthCount >= lockout.failureAttempts!
      && user.failedAuthAt !== null && Date.now() - user.failedAuthAt.getTime() < lockout.duration * 1000;
  }

  private async recordFailure(user: UserEntity, lockout: LockoutPolicy): Promise<void> {
    const expired = user.failedAuthAt !== null && Date.now() - user.failedAuthAt.getTime() >= lockout.duration * 1000;
    if (expired) {
      await this.db.write((m) => m.getRepository(UserEntity).update({ id: user.id }, { failedAuthCount: 1, failedAuthAt: new Date() }));
    } else {
      // Atomic increment: two concurrent failures both count.
      await this.db.write((m) => m.createQueryBuilder().update(UserEntity)
        .set({ failedAuthCount: () => 'failed_auth_count + 1', failedAuthAt: new Date() })
        .where('id = :id', { id: user.id }).execute());
    }
  }

  /**
   * When a new password expires: at once when an administrator set it and the policy wants a
   * change on first use; else after `expiresDays`; never for users exempted by their options.
   */
  private expiryOf(user: UserEntity, selfService: boolean): Date | null {
    const p = this.cfg.password;
    const o = user.options ?? {};
    if (!selfService && p.changeUponFirstUse && o.ignore_change_password_upon_first_use !== true) return new Date();
    if (p.expiresDays && o.ignore_password_expiry !== true) return new Date(Date.now() + p.expiresDays * DAY);
    return null;
  }

  /** `unique_last_password_count`: the new password may not be one of the last N (current included). */
  private async checkHistory(userId: string, password: string, _selfService: boolean): Promise<void> {
    const n = this.cfg.password.uniqueLastCount;
    if (!n || n < 2) return;
    const recent = await this.passwords.find({ where: { userId }, order: { id: 'DESC' }, take: n - 1 });
    for (const old of recent) {
      if (await this.hasher.verify(password, old.passwordHash)) {
        throw new InvalidInputError(`Password validation error: The new password cannot be identical to a previous password. The total number which includes the new password must be unique is ${n}.`);
      }
    }
  }

  private async hashChecked(password: string): Promise<string> {
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
      throw new InvalidInputError(`Password validation error: The password must be at most ${MAX_PASSWORD_BYTES} bytes long.`);
    }
    const { regex, regexDescription } = this.cfg.password;
    if (regex && !regex.test(password)) {
      throw new InvalidInputError(`Password validation error: The password does not match the requirements: ${regexDescription ?? regex.source}.`);
    }
    return this.hasher.hash(password);
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= this.hasher.hash(newId());
    return this.dummyHash;
  }
}

/** User options with the ones set to null taken away (Keystone's way to unset an option). */
function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}
