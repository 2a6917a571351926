import { createHash, randomBytes, randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository, type EntityManager } from 'typeorm';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { TransactionRunner } from '../database/transaction-runner.js';
import { OAuth1AccessTokenEntity, OAuth1ConsumerEntity, OAuth1NonceEntity, OAuth1RequestTokenEntity } from '../entities/index.js';
import { boundedExtra, DomainError } from '../errors.js';
import { newId } from '../ids.js';
import { CredentialCipher } from './credential-cipher.js';
import { RevocationService } from './revocation.service.js';
import { UsedOnce } from './used-once.js';

/** An OAuth consumer as shown (its secret only at creation). */
export interface OAuth1Consumer {
  id: string;
  description: string | null;
  extra: Record<string, unknown>;
}

export interface OAuth1RequestToken {
  id: string;
  consumerId: string;
  requestedProjectId: string;
  /** sha256 (hex) of the verifier, once authorized. */
  verifierHash: string | null;
  authorizingUserId: string | null;
  roleIds: string[] | null;
  expiresAt: Date | null;
}

export interface OAuth1AccessToken {
  id: string;
  consumerId: string;
  authorizingUserId: string;
  projectId: string;
  roleIds: string[];
  expiresAt: Date | null;
}

/** A token or consumer together with its opened secret (for signature checks and creation answers). */
export type WithSecret<T> = T & { secret: string };

/** Keystone's not-found texts for the extension (its own wording, not the `Could not find x: id.` template). */
export const consumerNotFound = () => new DomainError('NotFound', 'Consumer not found');
export const requestTokenNotFound = () => new DomainError('NotFound', 'Request token not found');
export const accessTokenNotFound = () => new DomainError('NotFound', 'Access token not found');

/**
 * Verifier characters: letters and digits without the easily confused ones (`jiIl1oO0`), as
 * Keystone, so a user can type a verifier shown to them.
 */
export const VERIFIER_CHARS = 'abcdefghkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** Keystone's token and secret format: 32 lower-case hex characters (uuid4().hex). */
const newSecret = (): string => randomBytes(16).toString('hex');
export const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** Eight distinct verifier characters, drawn with a CSPRNG (Keystone samples without repetition). */
function newVerifier(): string {
  const chars = [...VERIFIER_CHARS];
  for (let i = 0; i < 8; i++) {
    const j = i + randomInt(chars.length - i);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.slice(0, 8).join('');
}

/** Expiry `seconds` from now, at a whole second (Keystone shows `.000000Z`); none for 0. */
function expiryIn(seconds: number): Date | null {
  return seconds > 0 ? new Date((Math.floor(Date.now() / 1000) + seconds) * 1000) : null;
}

/**
 * Keystone's OAuth1 manager (docs/keystone-oauth1.md): consumers, request tokens, authorization,
 * the one-time exchange for an access token, access tokens and the nonces signed requests used.
 * Secrets are sealed with the credential key ring and opened only to check a signature.
 */
@Injectable()
export class OAuth1Service {
  private readonly nonces: UsedOnce;

  constructor(
    @InjectRepository(OAuth1ConsumerEntity) private readonly oauth1Consumers: Repository<OAuth1ConsumerEntity>,
    @InjectRepository(OAuth1RequestTokenEntity) private readonly oauth1RequestTokens: Repository<OAuth1RequestTokenEntity>,
    @InjectRepository(OAuth1AccessTokenEntity) private readonly oauth1AccessTokens: Repository<OAuth1AccessTokenEntity>,
    private readonly db: TransactionRunner,
    private readonly cipher: CredentialCipher,
    private readonly revocations: RevocationService,
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
  ) {
    this.nonces = new UsedOnce(db, OAuth1NonceEntity);
  }

  // ---------------------------------------------------------------- consumers

  async createConsumer(c: { description: string | null; extra: Record<string, unknown> }): Promise<WithSecret<OAuth1Consumer>> {
    boundedExtra({ ...c.extra, description: c.description });
    const secret = newSecret();
    const sealed = this.cipher.seal(secret);
    const row: OAuth1ConsumerEntity = {
      id: newId(), description: c.description, encryptedSecret: sealed.ciphertext, keyHash: sealed.keyHash, extra: c.extra, createdAt: new Date(),
    };
    await this.db.write((m) => m.getRepository(OAuth1ConsumerEntity).insert(row as never));
    return { ...consumerOf(row), secret };
  }

  async listConsumers(): Promise<OAuth1Consumer[]> {
    const rows = await this.oauth1Consumers.find({ order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map(consumerOf);
  }

  async getConsumer(id: string): Promise<OAuth1Consumer | null> {
    const row = await this.oauth1Consumers.findOneBy({ id });
    return row ? consumerOf(row) : null;
  }

  /** The consumer with its secret opened, for a signature check. */
  async getConsumerWithSecret(id: string): Promise<WithSecret<OAuth1Consumer> | null> {
    const row = await this.oauth1Consumers.findOneBy({ id });
    return row ? { ...consumerOf(row), secret: this.cipher.open({ ciphertext: row.encryptedSecret, keyHash: row.keyHash }) } : null;
  }

  /** Changes the description and merges extras; the secret never changes. */
  async updateConsumer(id: string, patch: { description?: string | null; extra: Record<string, unknown> }): Promise<OAuth1Consumer> {
    return this.db.transaction(async (tx) => {
      const row = await tx.findOneBy(OAuth1ConsumerEntity, { id });
      if (!row) throw consumerNotFound();
      const next = { ...row, description: patch.description !== undefined ? patch.description : row.description, extra: { ...(row.extra ?? {}), ...patch.extra } };
      boundedExtra({ ...next.extra, description: next.description });
      await tx.update(OAuth1ConsumerEntity, { id }, { description: next.description, extra: next.extra as never });
      return consumerOf(next);
    });
  }

  /**
   * Deletes a consumer with its request and access tokens, and revokes every token issued from
   * those access tokens, in one transaction.
   */
  async deleteConsumer(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!(await tx.findOneBy(OAuth1ConsumerEntity, { id }))) throw consumerNotFound();
      await tx.delete(OAuth1RequestTokenEntity, { consumerId: id });
      const access = await tx.find(OAuth1AccessTokenEntity, { where: { consumerId: id }, select: { id: true } });
      await this.removeAccessTokens(tx, access.map((a) => a.id));
      await tx.delete(OAuth1ConsumerEntity, { id });
    });
  }

  // ---------------------------------------------------------------- request tokens

  async createRequestToken(consumerId: string, projectId: string): Promise<WithSecret<OAuth1RequestToken>> {
    const secret = newSecret();
    const sealed = this.cipher.seal(secret);
    const row: OAuth1RequestTokenEntity = {
      id: newId(), consumerId, encryptedSecret: sealed.ciphertext, keyHash: sealed.keyHash, requestedProjectId: projectId, verifierHash: null,
      authorizingUserId: null, roleIds: null, expiresAt: expiryIn(this.cfg.oauth1.requestTokenDuration), createdAt: new Date(),
    };
    await this.db.write((m) => m.getRepository(OAuth1RequestTokenEntity).insert(row as never));
    return { ...requestTokenOf(row), secret };
  }

  async getRequestToken(id: string): Promise<WithSecret<OAuth1RequestToken> | null> {
    const row = await this.oauth1RequestTokens.findOneBy({ id });
    return row ? { ...requestTokenOf(row), secret: this.cipher.open({ ciphertext: row.encryptedSecret, keyHash: row.keyHash }) } : null;
  }

  /**
   * Records the authorizing user and the roles they delegate, and returns a new verifier (kept
   * only as its sha256). Authorizing again replaces both, as in Keystone.
   */
  async authorizeRequestToken(id: string, userId: string, roleIds: string[]): Promise<string> {
    const verifier = newVerifier();
    const r = await this.db.write((m) => m.getRepository(OAuth1RequestTokenEntity).update({ id }, { authorizingUserId: userId, roleIds: roleIds as never, verifierHash: sha256Hex(verifier) }));
    if (!r.affected) throw requestTokenNotFound();
    return verifier;
  }

  /**
   * Turns an authorized request token into an access token. The request token is deleted in the
   * same transaction, and only the caller whose delete removed it gets the access token: two
   * concurrent exchanges of one request token cannot both succeed.
   */
  async exchangeRequestToken(requestTokenId: string): Promise<WithSecret<OAuth1AccessToken>> {
    return this.db.transaction(async (tx) => {
      const req = await tx.findOneBy(OAuth1RequestTokenEntity, { id: requestTokenId });
      if (!req) throw requestTokenNotFound();
      const gone = await tx.delete(OAuth1RequestTokenEntity, { id: requestTokenId });
      if (!gone.affected || !req.authorizingUserId) throw requestTokenNotFound();
      const secret = newSecret();
      const sealed = this.cipher.seal(secret);
      const row: OAuth1AccessTokenEntity = {
        id: newId(), consumerId: req.consumerId, encryptedSecret: sealed.ciphertext, keyHash: sealed.keyHash, authorizingUserId: req.authorizingUserId,
        projectId: req.requestedProjectId, roleIds: req.roleIds ?? [], expiresAt: expiryIn(this.cfg.oauth1.accessTokenDuration), createdAt: new Date(),
      };
      await tx.insert(OAuth1AccessTokenEntity, row as never);
      return { ...accessTokenOf(row), secret };
    });
  }

  // ---------------------------------------------------------------- access tokens

  async getAccessToken(id: string): Promise<OAuth1AccessToken | null> {
    const row = await this.oauth1AccessTokens.findOneBy({ id });
    return row ? accessTokenOf(row) : null;
  }

  async getAccessTokenWithSecret(id: string): Promise<WithSecret<OAuth1AccessToken> | null> {
    const row = await this.oauth1AccessTokens.findOneBy({ id });
    return row ? { ...accessTokenOf(row), secret: this.cipher.open({ ciphertext: row.encryptedSecret, keyHash: row.keyHash }) } : null;
  }

  async listAccessTokens(userId: string): Promise<OAuth1AccessToken[]> {
    const rows = await this.oauth1AccessTokens.find({ where: { authorizingUserId: userId }, order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map(accessTokenOf);
  }

  /** Deletes an access token and revokes the tokens issued from it (one transaction). */
  async deleteAccessToken(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!(await tx.findOneBy(OAuth1AccessTokenEntity, { id }))) throw accessTokenNotFound();
      await this.removeAccessTokens(tx, [id]);
    });
  }

  private async removeAccessTokens(tx: EntityManager, ids: string[]): Promise<void> {
    if (!ids.length) return;
    await tx.delete(OAuth1AccessTokenEntity, { id: In(ids) });
    for (const accessTokenId of ids) await this.revocations.revoke({ accessTokenId }, tx);
  }

  // ---------------------------------------------------------------- nonces

  /**
   * Records that `nonce` was used by `consumerKey`, remembered until `expiresAt` (the end of the
   * request's freshness window). False when it was used before, by any replica: the unique key
   * decides, so two concurrent replays cannot both pass.
   */
  claimNonce(consumerKey: string, nonce: string, expiresAt: Date): Promise<boolean> {
    return this.nonces.use([consumerKey, nonce], expiresAt);
  }

  /** Deletes nonces whose window has closed, at most once a minute per process. */
  pruneNonces(force = false): Promise<number> {
    return this.nonces.prune(force);
  }
}

function consumerOf(r: OAuth1ConsumerEntity): OAuth1Consumer {
  return { id: r.id, description: r.description, extra: r.extra ?? {} };
}

function requestTokenOf(r: OAuth1RequestTokenEntity): OAuth1RequestToken {
  return {
    id: r.id, consumerId: r.consumerId, requestedProjectId: r.requestedProjectId, verifierHash: r.verifierHash, authorizingUserId: r.authorizingUserId,
    roleIds: r.roleIds, expiresAt: r.expiresAt,
  };
}

function accessTokenOf(r: OAuth1AccessTokenEntity): OAuth1AccessToken {
  return { id: r.id, consumerId: r.consumerId, authorizingUserId: r.authorizingUserId, projectId: r.projectId, roleIds: r.roleIds ?? [], expiresAt: r.expiresAt };
}
