import { Injectable } from '@nestjs/common';
import { DataSource, LessThan, MoreThan, MoreThanOrEqual, type EntityManager } from 'typeorm';
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

/** Stores Keystone revocation events; libs/auth keeps the in-memory view every replica checks. */
@Injectable()
export class RevocationService {
  constructor(private readonly ds: DataSource) {}

  /** Records an event, inside `tx` when the revocation belongs to a larger change. */
  async revoke(fields: RevocationFields, tx: EntityManager = this.ds.manager): Promise<void> {
    const now = new Date();
    await tx.insert(RevocationEventEntity, {
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

  /**
   * The incremental feed of the revocation cache: events with an id above `afterId`, plus those
   * revoked since `overlapFrom` (a transaction that committed late may hold a lower id).
   */
  eventsSince(afterId: number, overlapFrom: Date): Promise<RevocationEventEntity[]> {
    return this.ds.getRepository(RevocationEventEntity).find({
      where: [{ id: MoreThan(afterId) }, { revokedAt: MoreThanOrEqual(overlapFrom) }],
      order: { id: 'ASC' },
    });
  }

  /** Drops events that no unexpired token can match any more. */
  async prune(revokedBefore: Date): Promise<number> {
    const r = await this.ds.getRepository(RevocationEventEntity).delete({ revokedAt: LessThan(revokedBefore) });
    return r.affected ?? 0;
  }
}
