import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { LessThan } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import { UsedSignatureEntity } from '../entities/index.js';
import { isUniqueViolation } from '../errors.js';

/** How often spent signatures past their window are swept (by whichever replica spends one first after that). */
const PRUNE_EVERY_MS = 60_000;

/**
 * Signed requests that may run once (docs/security.md, "L2"): a signature is spent by inserting
 * it into `used_signatures`, whose primary key makes a second insert fail in whichever replica
 * tries it, two at once included. Kept until the signed time leaves the freshness window, after
 * which the signature is refused as stale anyway.
 */
@Injectable()
export class SignatureReplayService {
  private lastPrune = 0;

  constructor(private readonly db: TransactionRunner) {}

  /**
   * Spends `signature` (of a request signed with `accessKeyId` in `dialect`) until `expiresAt`.
   * False when it was spent before, by any replica.
   */
  async spend(dialect: string, accessKeyId: string, signature: string, expiresAt: Date): Promise<boolean> {
    const id = createHash('sha256').update(`${dialect}\n${accessKeyId}\n${signature}`, 'utf8').digest('hex');
    try {
      await this.db.write((m) => m.getRepository(UsedSignatureEntity).insert({ id, expiresAt }));
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
    await this.prune();
    return true;
  }

  /** Deletes signatures whose window has closed, at most once a minute per process. */
  async prune(force = false): Promise<number> {
    const now = Date.now();
    if (!force && now - this.lastPrune < PRUNE_EVERY_MS) return 0;
    this.lastPrune = now;
    const r = await this.db.write((m) => m.getRepository(UsedSignatureEntity).delete({ expiresAt: LessThan(new Date(now)) }));
    return r.affected ?? 0;
  }
}
