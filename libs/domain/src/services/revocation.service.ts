import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, MoreThan, MoreThanOrEqual, Repository, type EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import { RevocationEventEntity } from '../entities/index.js';

export interface RevocationFields {
  auditId?: string;
  auditChainId?: string;
  userId?: string;
  projectId?: string;
  domainId?: string;
  roleId?: string;
  /** Tokens issued from this application credential. */
  appCredId?: string;
  trustId?: string;
  accessTokenId?: string;
  /** Defaults to now: every matching token issued up to this instant is revoked. */
  issuedBefore?: Date;
  expiresAt?: Date;
}

/**
 * Records an event with `m`: the manager of the transaction the revocation belongs to (the import
 * of `manage` writes its events inside its own), or one the runner lends.
 */
export async function writeRevocation(m: EntityManager, fields: RevocationFields): Promise<void> {
  const now = new Date();
  await m.insert(RevocationEventEntity, {
    auditId: fields.auditId ?? null,
    auditChainId: fields.auditChainId ?? null,
    userId: fields.userId ?? null,
    projectId: fields.projectId ?? null,
    domainId: fields.domainId ?? null,
    roleId: fields.roleId ?? null,
    appCredId: fields.appCredId ?? null,
    trustId: fields.trustId ?? null,
    accessTokenId: fields.accessTokenId ?? null,
    issuedBefore: fields.issuedBefore ?? now,
    revokedAt: now,
    expiresAt: fields.expiresAt ?? null,
  });
}

/** Stores Keystone revocation events; libs/auth keeps the in-memory view every replica checks. */
@Injectable()
export class RevocationService {
  constructor(
    @InjectRepository(RevocationEventEntity) private readonly revocationEvents: Repository<RevocationEventEntity>,
    private readonly db: TransactionRunner,
  ) {}

  /** Records an event, inside `tx` when the revocation belongs to a larger change, else on its own. */
  async revoke(fields: RevocationFields, tx?: EntityManager): Promise<void> {
    if (tx) await writeRevocation(tx, fields);
    else await this.db.write((m) => writeRevocation(m, fields));
  }

  /**
   * The incremental feed of the revocation cache: events with an id above `afterId`, plus those
   * revoked since `overlapFrom` (a transaction that committed late may hold a lower id).
   */
  eventsSince(afterId: number, overlapFrom: Date): Promise<RevocationEventEntity[]> {
    return this.revocationEvents.find({
      where: [{ id: MoreThan(afterId) }, { revokedAt: MoreThanOrEqual(overlapFrom) }],
      order: { id: 'ASC' },
    });
  }

  /** Drops events that no unexpired token can match any more. */
  async prune(revokedBefore: Date): Promise<number> {
    const r = await this.db.write((m) => m.getRepository(RevocationEventEntity).delete({ revokedAt: LessThan(revokedBefore) }));
    return r.affected ?? 0;
  }
}
