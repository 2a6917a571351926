import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '../database/transaction-runner.js';
import { UsedSignatureEntity } from '../entities/index.js';
import { UsedOnce } from './used-once.js';

/**
 * Signed requests that may run once (docs/security.md, "L2"): a signature is spent by inserting
 * its hash into `used_signatures` (see {@link UsedOnce}).
 */
@Injectable()
export class SignatureReplayService {
  private readonly used: UsedOnce;

  constructor(db: TransactionRunner) {
    this.used = new UsedOnce(db, UsedSignatureEntity);
  }

  /**
   * Spends `signature` (of a request signed with `accessKeyId` in `dialect`) until `expiresAt`.
   * False when it was spent before, by any replica.
   */
  spend(dialect: string, accessKeyId: string, signature: string, expiresAt: Date): Promise<boolean> {
    return this.used.use([dialect, accessKeyId, signature], expiresAt);
  }

  /** Deletes signatures whose window has closed, at most once a minute per process. */
  prune(force = false): Promise<number> {
    return this.used.prune(force);
  }
}
