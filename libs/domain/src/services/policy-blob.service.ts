import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository, type FindOptionsWhere } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import { PolicyEntity } from '../entities/index.js';
import { boundedExtra, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';

export interface NewPolicy {
  type: string;
  blob: string;
  extra?: Record<string, unknown>;
}

/** A change to a policy: `undefined` keeps an attribute, extras are merged into the stored ones. */
export type PolicyPatch = Partial<NewPolicy>;

/**
 * The policy blobs of `/v3/policies` (docs/keystone-catalog-extensions.md, "Policies"): stored
 * and handed back, never evaluated (Lintel's own authorization is the policy engine).
 */
@Injectable()
export class PolicyBlobService {
  constructor(
    @InjectRepository(PolicyEntity) private readonly policies: Repository<PolicyEntity>,
    private readonly db: TransactionRunner,
    private readonly ds: DataSource,
  ) {}

  list(f: { type?: string } = {}): Promise<PolicyEntity[]> {
    const where: FindOptionsWhere<PolicyEntity> = {};
    if (f.type !== undefined) where.type = f.type;
    return this.policies.find({ where, order: { id: 'ASC' } });
  }

  async get(id: string): Promise<PolicyEntity> {
    const p = await this.policies.findOneBy({ id });
    if (!p) throw new NotFoundError('policy', id);
    return p;
  }

  async create(n: NewPolicy): Promise<PolicyEntity> {
    const e: PolicyEntity = { id: newId(), type: n.type, blob: n.blob, extra: boundedExtra(n.extra ?? {}) };
    await this.db.write((m) => m.getRepository(PolicyEntity).insert(e as never));
    return e;
  }

  async update(id: string, patch: PolicyPatch): Promise<PolicyEntity> {
    return this.db.transaction(async (tx) => {
      const q = tx.createQueryBuilder(PolicyEntity, 'p').where('p.id = :id', { id });
      const p = await (this.ds.options.type === 'better-sqlite3' ? q : q.setLock('pessimistic_write')).getOne();
      if (!p) throw new NotFoundError('policy', id);
      const next: PolicyEntity = {
        id, type: patch.type ?? p.type, blob: patch.blob ?? p.blob, extra: boundedExtra({ ...(p.extra ?? {}), ...(patch.extra ?? {}) }),
      };
      await tx.update(PolicyEntity, { id }, { type: next.type, blob: next.blob, extra: next.extra as never });
      return next;
    });
  }

  async delete(id: string): Promise<void> {
    const r = await this.db.write((m) => m.getRepository(PolicyEntity).delete({ id }));
    if (!r.affected) throw new NotFoundError('policy', id);
  }
}
