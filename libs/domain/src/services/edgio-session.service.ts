import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, MoreThanOrEqual, Repository } from 'typeorm';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { TransactionRunner } from '../database/transaction-runner.js';
import { EdgioSessionEntity, RevocationEventEntity, type ProjectEntity, type UserEntity } from '../entities/index.js';
import { CloudAccountService } from './cloud-account.service.js';
import { IdentityService } from './identity.service.js';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

export interface EdgioSession {
  token: string;
  user: UserEntity;
  project: ProjectEntity | null;
  expiresAt: Date;
}

/**
 * Edgio JSON-RPC sessions (docs/edgio.md, "Sessions"; the key pairs are the access-key core's).
 * A session token is a UUID v4 handed to the client once; only its sha256 is stored. A session dies at its expiry, at logout,
 * and whenever Keystone would kill the user's tokens (user or domain disabled, password changed).
 */
@Injectable()
export class EdgioSessionService {
  constructor(
    @InjectRepository(EdgioSessionEntity) private readonly edgioSessions: Repository<EdgioSessionEntity>,
    @InjectRepository(RevocationEventEntity) private readonly revocationEvents: Repository<RevocationEventEntity>,
    private readonly db: TransactionRunner,
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly accounts: CloudAccountService,
    private readonly identity: IdentityService,
  ) {}

  /**
   * Opens a session for a user who has just proved their password. Lifetime: `ttlSeconds` when the
   * client asked for one (Edgio's `authenticate` / `/account/login` allow up to a day), else
   * LINTEL_TOKEN_EXPIRATION.
   */
  async open(user: UserEntity, ttlSeconds?: number): Promise<EdgioSession> {
    const token = randomUUID();
    const now = new Date();
    const expiresAt = new Date(now.getTime() + (ttlSeconds ?? this.cfg.token.expiration) * 1000);
    await this.db.write((m) => m.getRepository(EdgioSessionEntity).insert({ id: sha256(token), userId: user.id, createdAt: now, expiresAt }));
    // Housekeeping: sessions past their expiry are useless; drop them as logins come in.
    await this.db.write((m) => m.getRepository(EdgioSessionEntity).delete({ expiresAt: LessThan(now) }));
    return { token, user, project: await this.accounts.homeProject(user), expiresAt };
  }

  /** The live session of a token, or null (unknown, expired, logged out, or its user revoked). */
  async find(token: string): Promise<{ id: string; user: UserEntity } | null> {
    if (!token || token.length > 256) return null;
    const id = sha256(token);
    const row = await this.edgioSessions.findOneBy({ id });
    if (!row || row.expiresAt.getTime() <= Date.now()) return null;
    const user = await this.identity.getUser(row.userId);
    if (!user || !(await this.accounts.isActive(user))) return null;
    // Keystone revokes every token of a user whose password changed or who was disabled with a
    // user-wide revocation event; a session opened before such an event is dead too.
    const revoked = await this.revocationEvents.countBy({
      userId: user.id, auditId: IsNull(), auditChainId: IsNull(), projectId: IsNull(), domainId: IsNull(), roleId: IsNull(),
      issuedBefore: MoreThanOrEqual(row.createdAt),
    });
    return revoked ? null : { id, user };
  }

  /** Ends a session; false when the token names no live session. */
  async close(token: string): Promise<boolean> {
    const s = await this.find(token);
    if (!s) return false;
    const r = await this.db.write((m) => m.getRepository(EdgioSessionEntity).delete({ id: s.id }));
    return !!r.affected;
  }
}
