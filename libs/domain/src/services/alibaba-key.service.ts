import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { LessThan } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import { AlibabaNonceEntity } from '../entities/index.js';
import { isUniqueViolation } from '../errors.js';

/** How often expired nonces are swept (by whichever replica claims a nonce first after that). */
const PRUNE_EVERY_MS = 60_000;

/**
 * Alibaba Cloud IMS's SignatureNonce register, which refuses replays across replicas. (Alibaba's
 * keys themselves are the access-key core's: KEY_DIALECTS.alibaba in access-key.service.ts.)
 */
@Injectable()
export class AlibabaKeyService {
  private lastPrune = 0;

  constructor(private readonly db: TransactionRunner) {}

  /**
   * Records that `nonce` was used with `accessKeyId`, remembered until `expiresAt` (the end of
   * the request's freshness window). False when it was used before, by any replica: the unique
   * key decides, so two concurrent replays cannot both pass.
   */
  async claimNonce(accessKeyId: string, nonce: string, expiresAt: Date): Promise<boolean> {
    const id = createHash('sha256').update(`${accessKeyId}\n${nonce}`, 'utf8').digest('hex');
    try {
      await this.db.write((m) => m.getRepository(AlibabaNonceEntity).insert({ id, expiresAt }));
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
    const r = await this.db.write((m) => m.getRepository(AlibabaNonceEntity).delete({ expiresAt: LessThan(new Date(now)) }));
    return r.affected ?? 0;
  }
}
