import { Inject, Injectable } from '@nestjs/common';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { CloudAccountService, IdentityService, type PasswordCheck, type UserEntity } from '@lintel/domain';
import { AuthRateLimiter } from './auth-rate-limiter.js';

/** What one password attempt came to: the user it named (null when unknown or disabled) and the check's outcome. */
export interface PasswordAttempt {
  user: UserEntity | null;
  outcome: PasswordCheck;
}

/**
 * The one login path (docs/security.md, "M4", "M5"): Keystone's password method, Edgio's
 * `login`, `authenticate` and `/account/login`, Outscale Basic and the console's password
 * confirmation all come through here, in the same order: the rate limit of the remote address,
 * the account named, the rate limit of that account (the user, whichever name or id reached it),
 * the enabled checks (a disabled user or domain is an unknown user), then the password, with the
 * failed attempt reserved in the database before it is hashed (IdentityService.checkPassword).
 */
@Injectable()
export class PasswordLogin {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly identity: IdentityService,
    private readonly accounts: CloudAccountService,
    private readonly limiter: AuthRateLimiter,
  ) {}

  /**
   * One attempt at `password` for the account `find` resolves (`login` names it for the rate limit
   * when it resolves to nobody). `source` is the remote address, undefined when the caller has
   * counted it already. Throws TooManyRequestsError over a limit. `keepFailures`: see
   * IdentityService.checkPassword.
   */
  async attempt(
    source: string | undefined, login: string, find: () => Promise<UserEntity | null>, password: string, o: { keepFailures?: boolean } = {},
  ): Promise<PasswordAttempt> {
    if (source !== undefined) this.limiter.source(source);
    let user = await find();
    this.limiter.account(user, login);
    if (user && !(await this.accounts.isActive(user))) user = null;
    return { user, outcome: await this.identity.checkPassword(user, password, this.cfg.lockout, o) };
  }

  /** A cloud dialect's login name (CloudAccountService.findUserByLogin) and password. */
  cloud(source: string, login: string, password: string): Promise<PasswordAttempt> {
    return this.attempt(source, login, () => this.accounts.findUserByLogin(login), password);
  }

  /** The caller's own password again (the console's confirmation before it mints a key). */
  confirm(source: string, userId: string, password: string): Promise<PasswordAttempt> {
    return this.attempt(source, userId, () => this.identity.getUser(userId), password);
  }
}

/** The log line's reason for an attempt that failed (never the password). */
export function failureReason(a: PasswordAttempt): string {
  return `password authentication failed (${a.outcome}) for ${a.user ? `user ${a.user.id}` : 'an unknown or disabled user'}`;
}
