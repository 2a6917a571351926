import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { In, Repository, type EntityManager, type FindOptionsWhere } from 'typeorm';
import { ec2CredentialId } from '@lintel/credentials';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { TransactionRunner } from '../database/transaction-runner.js';
import {
  CredentialEntity, DomainConfigEntity, OAuth1AccessTokenEntity, OAuth1ConsumerEntity, OAuth1RequestTokenEntity, UserEntity, type CredentialState,
} from '../entities/index.js';
import { boundedExtra, ConflictError, DomainError, insertOrConflict, InvalidInputError, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { CredentialCipher } from './credential-cipher.js';
import { pageFrom, type Page } from './page.js';

/** A credential as the core hands it out: the blob opened, everything else as stored. */
export interface Credential {
  id: string;
  userId: string;
  projectId: string | null;
  type: string;
  /** JSON text; for access keys `{"access", "secret", ...}`. */
  blob: string;
  accessKey: string | null;
  state: CredentialState;
  issuer: string;
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  lastUsedAt: Date | null;
  lastUsedService: string | null;
  extra: Record<string, unknown>;
}

export interface NewCredential {
  id?: string;
  userId: string;
  projectId: string | null;
  type: string;
  blob: string;
  /** Which dialect issued it: keystone, os-ec2, soda, edgio, outscale, alibaba. */
  issuer: string;
  state?: CredentialState;
  expiresAt?: Date | null;
  extra?: Record<string, unknown>;
}

export type CredentialPatch = Partial<Pick<NewCredential, 'userId' | 'projectId' | 'type' | 'blob' | 'state' | 'expiresAt' | 'extra'>>;

export interface CredentialFilter {
  userId?: string;
  projectId?: string;
  type?: string;
}

/** Keystone's CredentialLimitExceeded (403). */
export class CredentialLimitError extends DomainError {
  constructor(readonly limit: number) {
    super('Forbidden', `Unable to create additional credentials, maximum of ${limit} already exceeded for user.`);
  }
}

/** Access keys the issue calls "ec2": Keystone compares the type case-insensitively. */
export const isEc2 = (type: string): boolean => type.toLowerCase() === 'ec2';

/** The `access` of an ec2 blob, checked as Keystone checks it (docs/keystone.md, "Credentials"). */
export function ec2Access(blob: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(blob);
  } catch {
    throw new InvalidInputError('Invalid blob in credential');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.keys(parsed).length) {
    throw InvalidInputError.missing('blob', 'credential');
  }
  const access = (parsed as { access?: unknown }).access;
  if (access === undefined || access === null) throw InvalidInputError.missing('access', 'credential');
  if (typeof access !== 'string' || !access || access.length > 255) throw new InvalidInputError('Invalid blob in credential');
  return access;
}

const USE_FLUSH_MS = 1000;
const ACCESS_CACHE_MS = 1000;
/** Access keys cached; beyond it the least recently used goes. */
const MAX_ACCESS_CACHED = 10_000;

/**
 * The one credential store (Keystone's credential manager): every dialect's keys are rows here,
 * secrets sealed at rest, with the per-user limit, lifecycle (state, expiry, last use) and
 * transactions the issue asks for.
 */
@Injectable()
export class CredentialService implements OnApplicationShutdown {
  private readonly logger = new Logger(CredentialService.name);
  private readonly pendingUse = new Map<string, { at: Date; service: string }>();
  private readonly byAccess = new LRUCache<string, Promise<Credential | null>>({ max: MAX_ACCESS_CACHED, ttl: ACCESS_CACHE_MS });
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    @InjectRepository(CredentialEntity) private readonly credentials: Repository<CredentialEntity>,
    @InjectRepository(DomainConfigEntity) private readonly domainConfigs: Repository<DomainConfigEntity>,
    private readonly db: TransactionRunner,
    private readonly cipher: CredentialCipher,
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
  ) {}

  private get mysql(): boolean {
    return this.credentials.manager.connection.options.type !== 'better-sqlite3';
  }

  /**
   * Creates a credential. The user row is locked while the user's credentials are counted and the
   * new one inserted, so concurrent creates can never pass the limit.
   */
  async create(c: NewCredential, tx?: EntityManager): Promise<Credential> {
    const ec2 = isEc2(c.type);
    const accessKey = ec2 ? ec2Access(c.blob) : null;
    const id = ec2 ? ec2CredentialId(accessKey!) : (c.id ?? newId());
    const run = async (m: EntityManager) => {
      await this.lockUser(m, c.userId);
      const limit = this.cfg.credential.userLimit;
      if (limit !== undefined && (await m.countBy(CredentialEntity, { userId: c.userId })) >= limit) throw new CredentialLimitError(limit);
      const now = new Date();
      const sealed = this.cipher.seal(c.blob);
      const row: CredentialEntity = {
        id, userId: c.userId, projectId: c.projectId, type: c.type, accessKey, encryptedBlob: sealed.ciphertext,
        keyHash: sealed.keyHash, state: c.state ?? 'active', issuer: c.issuer, expiresAt: c.expiresAt ?? null,
        createdAt: now, updatedAt: now, lastUsedAt: null, lastUsedService: null, extra: c.extra ?? {},
      };
      await insertOrConflict(() => m.insert(CredentialEntity, row as never), row, () => new ConflictError('credential', `Duplicate entry found with ID ${id}`));
      return this.toCredential(row);
    };
    return this.invalidating(tx ? run(tx) : this.db.transaction(run));
  }

  /**
   * The one lock of a user's keys: the user's row, for the rest of the transaction (MySQL; SQLite's
   * transactions take turns on its one writing connection anyway). Counting a user's keys and
   * inserting one under it cannot race. The user must exist.
   */
  async lockUser(m: EntityManager, userId: string): Promise<void> {
    const q = m.createQueryBuilder(UserEntity, 'u').select('u.id').where('u.id = :id', { id: userId });
    const user = await (this.mysql ? q.setLock('pessimistic_write') : q).getOne();
    if (!user) throw new NotFoundError('user', userId);
  }

  async get(id: string): Promise<Credential | null> {
    const row = await this.credentials.findOneBy({ id });
    return row ? this.toCredential(row) : null;
  }

  /**
   * An access-key credential by its public key id. Through `access_key`, not the id: the id is
   * sha256 of the access key the credential was created with, and a PATCH may change the key
   * since (docs/keystone-resources-parity.md, "Credentials").
   */
  async findByAccessKey(access: string): Promise<Credential | null> {
    const row = await this.credentials.findOneBy({ accessKey: access });
    return row ? this.toCredential(row) : null;
  }

  /**
   * The same, from a cache of at most a second (signature checks arrive in bursts for the same
   * keys). Every write through this process drops the cache at once; other replicas' writes are
   * seen within the second.
   */
  findByAccessKeyCached(access: string): Promise<Credential | null> {
    const hit = this.byAccess.get(access);
    if (hit) return hit;
    const value = this.findByAccessKey(access);
    this.byAccess.set(access, value);
    value.catch(() => {
      if (this.byAccess.peek(access) === value) this.byAccess.delete(access);
    });
    return value;
  }

  async list(f: CredentialFilter = {}): Promise<Credential[]> {
    const where: FindOptionsWhere<CredentialEntity> = {};
    if (f.userId !== undefined) where.userId = f.userId;
    if (f.projectId !== undefined) where.projectId = f.projectId;
    if (f.type !== undefined) where.type = f.type;
    const rows = await this.credentials.find({ where, order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map((r) => this.toCredential(r));
  }

  /** The same, `limit` at most (Keystone's `[credential] list_limit`), read in (created_at, id) order through an index. */
  async listPage(f: CredentialFilter, limit: number | undefined): Promise<Page<Credential>> {
    const where: FindOptionsWhere<CredentialEntity> = {};
    if (f.userId !== undefined) where.userId = f.userId;
    if (f.projectId !== undefined) where.projectId = f.projectId;
    if (f.type !== undefined) where.type = f.type;
    const rows = await this.credentials.find({ where, order: { createdAt: 'ASC', id: 'ASC' }, take: limit === undefined ? undefined : limit + 1 });
    const page = pageFrom(rows, limit);
    return { items: page.items.map((r) => this.toCredential(r)), truncated: page.truncated };
  }

  /**
   * Applies a patch in one transaction, on the locked row. `authorize` sees the stored and the
   * merged credential before anything is written (Keystone checks both, CVE-2020-12691). An ec2
   * blob keeps its delegation keys (docs/keystone.md, "Credentials") but may change its access key: the id stays, and
   * another credential's access key is a 409. Moving a credential to another user counts
   * against that user's limit.
   */
  async update(id: string, patch: CredentialPatch, authorize?: (current: Credential, merged: Credential) => void): Promise<Credential> {
    return this.invalidating(this.db.transaction(async (m) => {
      const q = m.createQueryBuilder(CredentialEntity, 'c').where('c.id = :id', { id });
      const row = await (this.mysql ? q.setLock('pessimistic_write') : q).getOne();
      if (!row) throw new NotFoundError('credential', id);
      const current = this.toCredential(row);
      const merged: Credential = { ...current, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
      // Merged extras stay within the bound every resource's extras have (docs/security.md, "L6").
      if (patch.extra) merged.extra = boundedExtra({ ...current.extra, ...patch.extra });
      authorize?.(current, merged);
      if (isEc2(merged.type) && !merged.projectId) throw InvalidInputError.missing('project_id', 'credential');
      const next = { ...row, updatedAt: new Date() };
      if (patch.userId !== undefined) next.userId = patch.userId;
      if (patch.projectId !== undefined) next.projectId = patch.projectId;
      if (patch.type !== undefined) next.type = patch.type;
      if (patch.state !== undefined) next.state = patch.state;
      if (patch.expiresAt !== undefined) next.expiresAt = patch.expiresAt;
      if (patch.extra !== undefined) next.extra = merged.extra;
      if (patch.blob !== undefined && isEc2(current.type)) {
        ec2Access(patch.blob);
        keepDelegationKeys(current.blob, patch.blob);
      }
      if (patch.blob !== undefined || patch.type !== undefined) {
        const blob = merged.blob;
        next.accessKey = isEc2(next.type) ? ec2Access(blob) : null;
        const sealed = this.cipher.seal(blob);
        next.encryptedBlob = sealed.ciphertext;
        next.keyHash = sealed.keyHash;
      }
      if (patch.userId !== undefined && patch.userId !== row.userId) {
        await this.lockUser(m, patch.userId);
        const limit = this.cfg.credential.userLimit;
        if (limit !== undefined && (await m.countBy(CredentialEntity, { userId: patch.userId })) >= limit) throw new CredentialLimitError(limit);
      }
      const taken = () => new ConflictError('credential', `Duplicate entry found with access key ${next.accessKey}`);
      await insertOrConflict(() => m.update(CredentialEntity, { id }, { ...next, extra: next.extra as never }), next, taken);
      return this.toCredential(next);
    }));
  }

  async delete(id: string): Promise<void> {
    const r = await this.invalidating(this.db.write((m) => m.getRepository(CredentialEntity).delete({ id })));
    if (!r.affected) throw new NotFoundError('credential', id);
    this.pendingUse.delete(id);
  }

  /** Deletes every credential matching the filter in one transaction; returns their ids. */
  async deleteWhere(f: CredentialFilter & { userId: string }): Promise<string[]> {
    return this.invalidating(this.db.transaction(async (m) => {
      const rows = await m.find(CredentialEntity, { where: { userId: f.userId, ...(f.projectId ? { projectId: f.projectId } : {}), ...(f.type ? { type: f.type } : {}) }, select: { id: true } });
      if (!rows.length) return [];
      await m.delete(CredentialEntity, { id: In(rows.map((r) => r.id)) });
      for (const r of rows) this.pendingUse.delete(r.id);
      return rows.map((r) => r.id);
    }));
  }

  /** Drops the access-key cache before a write and again once it has settled. */
  private invalidating<T>(write: Promise<T>): Promise<T> {
    this.byAccess.clear();
    return write.finally(() => this.byAccess.clear());
  }

  /**
   * Notes a successful signature check. Writes are batched once a second, so signature checks
   * never wait for the database; `lastUsedAt` is at most that much behind.
   */
  recordUse(id: string, service: string): void {
    this.pendingUse.set(id, { at: new Date(), service });
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flushUse(), USE_FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  /** Writes pending last-use records now (tests and shutdown call this). */
  async flushUse(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = [...this.pendingUse];
    this.pendingUse.clear();
    for (const [id, u] of batch) {
      try {
        await this.db.write((m) => m.getRepository(CredentialEntity).update({ id }, { lastUsedAt: u.at, lastUsedService: u.service }));
      } catch (e) {
        this.logger.warn(`could not record last use of a credential: ${(e as Error).message}`);
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.credentials.manager.connection.isInitialized) await this.flushUse();
  }

  /**
   * Re-seals every row not sealed by the primary key, a batch per transaction, so the old key can
   * be pruned afterwards (`manage credential-keys migrate`): credentials, OAuth1 consumer and token
   * secrets, then the sensitive options of domain configurations. Safe while the service runs.
   */
  async resealAll(batchSize = 200): Promise<number> {
    this.cipher.reload();
    let total = 0;
    for (;;) {
      const n = await this.db.transaction(async (m) => {
        const primary = this.cipher.primaryHash;
        const rows = await m.createQueryBuilder(CredentialEntity, 'c').where('c.key_hash <> :primary', { primary }).limit(batchSize).getMany();
        for (const row of rows) {
          const sealed = this.cipher.seal(this.cipher.open({ ciphertext: row.encryptedBlob, keyHash: row.keyHash }));
          await m.update(CredentialEntity, { id: row.id, keyHash: row.keyHash }, { encryptedBlob: sealed.ciphertext, keyHash: sealed.keyHash });
        }
        return rows.length;
      });
      total += n;
      if (n < batchSize) break;
    }
    for (const entity of SEALED_SECRETS) {
      for (;;) {
        const n = await this.db.transaction(async (m) => {
          const primary = this.cipher.primaryHash;
          const rows = await m.createQueryBuilder(entity, 's').where('s.key_hash <> :primary', { primary }).limit(batchSize).getMany();
          for (const row of rows) {
            const sealed = this.cipher.seal(this.cipher.open({ ciphertext: row.encryptedSecret, keyHash: row.keyHash }));
            await m.update(entity, { id: row.id, keyHash: row.keyHash }, { encryptedSecret: sealed.ciphertext, keyHash: sealed.keyHash });
          }
          return rows.length;
        });
        total += n;
        if (n < batchSize) break;
      }
    }
    for (;;) {
      const n = await this.db.transaction(async (m) => {
        const primary = this.cipher.primaryHash;
        const rows = await m.createQueryBuilder(DomainConfigEntity, 'c').where('c.key_hash IS NOT NULL AND c.key_hash <> :primary', { primary }).limit(batchSize).getMany();
        for (const row of rows) {
          const sealed = this.cipher.seal(this.cipher.open({ ciphertext: row.value, keyHash: row.keyHash! }));
          await m.update(DomainConfigEntity, { domainId: row.domainId, group: row.group, option: row.option, keyHash: row.keyHash! }, { value: sealed.ciphertext, keyHash: sealed.keyHash });
        }
        return rows.length;
      });
      total += n;
      if (n < batchSize) return total;
    }
  }

  /** The key hashes that seal at least one row: credential, OAuth1 secret or domain configuration option (a rotation must not prune those). */
  async keyHashesInUse(): Promise<Set<string>> {
    const [credentials, configs, ...secrets] = await Promise.all([
      this.credentials.createQueryBuilder('c').select('DISTINCT c.key_hash', 'hash').getRawMany<{ hash: string }>(),
      this.domainConfigs.createQueryBuilder('c').select('DISTINCT c.key_hash', 'hash').where('c.key_hash IS NOT NULL').getRawMany<{ hash: string }>(),
      ...SEALED_SECRETS.map((e) => this.credentials.manager.getRepository(e).createQueryBuilder('s').select('DISTINCT s.key_hash', 'hash').getRawMany<{ hash: string }>()),
    ]);
    return new Set([...credentials, ...configs, ...secrets.flat()].map((r) => r.hash));
  }

  private toCredential(r: CredentialEntity): Credential {
    return {
      id: r.id, userId: r.userId, projectId: r.projectId, type: r.type,
      blob: this.cipher.open({ ciphertext: r.encryptedBlob, keyHash: r.keyHash }),
      accessKey: r.accessKey, state: r.state, issuer: r.issuer, expiresAt: r.expiresAt, createdAt: r.createdAt,
      updatedAt: r.updatedAt, lastUsedAt: r.lastUsedAt, lastUsedService: r.lastUsedService, extra: r.extra ?? {},
    };
  }
}

/** Tables whose `encrypted_secret` is sealed with the credential key ring, keyed by `id` (OS-OAUTH1). */
const SEALED_SECRETS = [OAuth1ConsumerEntity, OAuth1RequestTokenEntity, OAuth1AccessTokenEntity] as const;

/** Blob keys of an ec2 credential that tie it to a delegation and may never change (docs/keystone.md, "Credentials"). */
const DELEGATION_KEYS = ['trust_id', 'app_cred_id', 'access_token_id', 'access_id'];

function keepDelegationKeys(before: string, after: string): void {
  const a = JSON.parse(before) as Record<string, unknown>;
  const b = JSON.parse(after) as Record<string, unknown>;
  for (const k of DELEGATION_KEYS) {
    if ((a[k] ?? null) !== (b[k] ?? null)) throw new InvalidInputError(`${k} can not be updated for credential`);
  }
}

/** True when the credential may sign requests right now. */
export function isUsable(c: Credential, now = Date.now()): boolean {
  return c.state === 'active' && (c.expiresAt === null || c.expiresAt.getTime() > now);
}
