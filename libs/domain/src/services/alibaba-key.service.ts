import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner.js';
import { AlibabaNonceEntity } from '../entities/index.js';
import { UsedOnce } from './used-once.js';

/**
 * Alibaba Cloud IMS's SignatureNonce register, which refuses replays across replicas. (Alibaba's
 * keys themselves are the access-key core's: KEY_DIALECTS.alibaba in access-key.service.ts.)
 */
@Injectable()
export class AlibabaKeyService {
  private readonly nonces: UsedOnce;

  constructor(db: TransactionRunner) {
    this.nonces = new UsedOnce(db, AlibabaNonceEntity);
  }

  /**
   * Records that `nonce` was used with `accessKeyId`, remembered until `expiresAt` (the end of
   * the request's freshness window). False when it was used before, by any replica: the unique
   * key decides, so two concurrent replays cannot both pass.
   */
  claimNonce(accessKeyId: string, nonce: string, expiresAt: Date): Promise<boolean> {
    return this.nonces.use([accessKeyId, nonce], expiresAt);
  }

  /** Deletes nonces whose window has closed, at most once a minute per process. */
  pruneNonces(force = false): Promise<number> {
    return this.nonces.prune(force);
  }
}
