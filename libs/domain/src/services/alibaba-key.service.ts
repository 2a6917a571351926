import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, LessThan } from 'typeorm';
import { newAlibabaAccessKeyId, newAlibabaAccessKeySecret } from '@lintel/credentials';
import { AlibabaNonceEntity, CredentialEntity, type UserEntity } from '../entities/index.js';
import { ConflictError, DomainError, isUniqueViolation } from '../errors.js';
import { CloudAccountService } from './cloud-account.service.js';
import { CredentialService, type Credential } from './credential.service.js';

/** AccessKey pairs one user may hold through Alibaba IMS (cloud-key-apis.md C.3), Active and Inactive alike. */
export const ALIBABA_KEYS_PER_USER = 2;

/** How often expired nonces are swept (by whichever replica claims a nonce first after that). */
const PRUNE_EVERY_MS = 60_000;

/** The user already holds the most Alibaba keys allowed. */
export class AlibabaKeyLimitError extends DomainError {
  constructor() {
    super('Conflict', `The user already holds ${ALIBABA_KEYS_PER_USER} access keys.`);
  }
}

/**
 * Alibaba Cloud IMS access keys on the shared store: `LTAI` + 20 alphanumerics, 30-character
 * secrets, issuer `alibaba`, owned by the user's home project, at most {@link ALIBABA_KEYS_PER_USER}
 * per user (counted and inserted on the locked user row). Also the SignatureNonce register that
 * refuses replays across replicas.
 */
@Injectable()
export class AlibabaKeyService {
  private lastPrune = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly accounts: CloudAccountService,
    private readonly credentials: CredentialService,
  ) {}

  /** @throws NoHomeProjectError, AlibabaKeyLimitError, CredentialLimitError */
  async issue(user: UserEntity): Promise<{ credential: Credential; secret: string }> {
    const project = await this.accounts.requireHomeProject(user);
    for (let attempt = 0; ; attempt++) {
      const access = newAlibabaAccessKeyId();
      const secret = newAlibabaAccessKeySecret();
      try {
        const credential = await this.ds.transaction(async (m) => {
          await this.accounts.lockUser(m, user.id);
          if ((await m.countBy(CredentialEntity, { userId: user.id, issuer: 'alibaba' })) >= ALIBABA_KEYS_PER_USER) throw new AlibabaKeyLimitError();
          return this.credentials.create({
            userId: user.id, projectId: project.id, type: 'ec2', issuer: 'alibaba', blob: JSON.stringify({ access, secret }),
          }, m);
        });
        return { credential, secret };
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= 2) throw e;
      }
    }
  }

  /**
   * Records that `nonce` was used with `accessKeyId`, remembered until `expiresAt` (the end of
   * the request's freshness window). False when it was used before, by any replica: the unique
   * key decides, so two concurrent replays cannot both pass.
   */
  async claimNonce(accessKeyId: string, nonce: string, expiresAt: Date): Promise<boolean> {
    const id = createHash('sha256').update(`${accessKeyId}\n${nonce}`, 'utf8').digest('hex');
    const repo = this.ds.getRepository(AlibabaNonceEntity);
    try {
      await repo.insert({ id, expiresAt });
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
    await this.pruneNonces();
    return true;
  }

  /** Deletes nonces whose window has closed, at most once a minute per process. */
  async pruneNonces(force = false): Promise<number> {
    const now = Date.now();
    if (!force && now - this.lastPrune < PRUNE_EVERY_MS) return 0;
    this.lastPrune = now;
    const r = await this.ds.getRepository(AlibabaNonceEntity).delete({ expiresAt: LessThan(new Date(now)) });
    return r.affected ?? 0;
  }
}
