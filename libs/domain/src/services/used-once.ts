import { createHash } from 'node:crypto';
import { LessThan, type EntityTarget } from 'typeorm';
import type { TransactionRunner } from '../database/transaction-runner.js';
import { isUniqueViolation } from '../errors.js';

/** How often rows past their window are swept (by whichever replica uses a value first after that). */
const PRUNE_EVERY_MS = 60_000;

/** A row of a used-once table: the SHA-256 of what was used, and until when it is remembered. */
export interface UsedOnceRow {
  id: string;
  expiresAt: Date;
}

/**
 * A table of values that may be used once (OAuth1 nonces, Alibaba's SignatureNonce, Outscale's
 * signatures: docs/security.md, "L2"). Using one inserts its hash, and the primary key makes a
 * second insert fail in whichever replica tries it, two at once included. A value is remembered
 * until its request's freshness window closes, after which the request is refused as stale anyway.
 */
export class UsedOnce {
  private lastPrune = 0;

  constructor(private readonly db: TransactionRunner, private readonly table: EntityTarget<UsedOnceRow>) {}

  /** Uses the value `parts` name (joined by newlines) until `expiresAt`; false when it was used before. */
  async use(parts: readonly string[], expiresAt: Date): Promise<boolean> {
    const id = createHash('sha256').update(parts.join('\n'), 'utf8').digest('hex');
    try {
      await this.db.write((m) => m.insert(this.table, { id, expiresAt }));
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
    await this.prune();
    return true;
  }

  /** Deletes the rows whose window has closed, at most once a minute per process unless forced. */
  async prune(force = false): Promise<number> {
    const now = Date.now();
    if (!force && now - this.lastPrune < PRUNE_EVERY_MS) return 0;
    this.lastPrune = now;
    const r = await this.db.write((m) => m.delete(this.table, { expiresAt: LessThan(new Date(now)) }));
    return r.affected ?? 0;
  }
}
