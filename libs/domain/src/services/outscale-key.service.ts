import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { randomUpperAlphanumeric } from '@lintel/credentials';
import { CredentialEntity, type UserEntity } from '../entities/index.js';
import { ConflictError, DomainError } from '../errors.js';
import { CloudAccountService } from './cloud-account.service.js';
import { CredentialService, type Credential } from './credential.service.js';

/** Keys one user may hold through Outscale (cloud-key-apis.md B.4), ACTIVE and INACTIVE alike. */
export const OUTSCALE_KEYS_PER_USER = 10;

/** The user already holds the most Outscale keys allowed. */
export class OutscaleKeyLimitError extends DomainError {
  constructor() {
    super('Conflict', `The user already holds ${OUTSCALE_KEYS_PER_USER} access keys.`);
  }
}

export interface NewOutscaleKey {
  expiresAt: Date | null;
  tag?: string;
}

/**
 * Outscale access keys on the shared store: 20-character `[A-Z0-9]` ids, 40-character secrets,
 * issuer `outscale`, owned by the user's home project, at most {@link OUTSCALE_KEYS_PER_USER}
 * per user. The count and the insert run in one transaction on the locked user row, so
 * concurrent creates cannot pass the limit.
 */
@Injectable()
export class OutscaleKeyService {
  constructor(
    private readonly ds: DataSource,
    private readonly accounts: CloudAccountService,
    private readonly credentials: CredentialService,
  ) {}

  /** @throws NoHomeProjectError, OutscaleKeyLimitError, CredentialLimitError */
  async issue(user: UserEntity, k: NewOutscaleKey): Promise<{ credential: Credential; secret: string }> {
    const project = await this.accounts.requireHomeProject(user);
    for (let attempt = 0; ; attempt++) {
      const access = randomUpperAlphanumeric(20);
      const secret = randomUpperAlphanumeric(40);
      try {
        const credential = await this.ds.transaction(async (m) => {
          await this.accounts.lockUser(m, user.id);
          if ((await m.countBy(CredentialEntity, { userId: user.id, issuer: 'outscale' })) >= OUTSCALE_KEYS_PER_USER) throw new OutscaleKeyLimitError();
          return this.credentials.create({
            userId: user.id, projectId: project.id, type: 'ec2', issuer: 'outscale', blob: JSON.stringify({ access, secret }),
            expiresAt: k.expiresAt, extra: k.tag === undefined ? {} : { outscale_tag: k.tag },
          }, m);
        });
        return { credential, secret };
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= 2) throw e;
      }
    }
  }
}
