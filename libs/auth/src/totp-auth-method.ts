import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import {
  CredentialService, IdentityService, InvalidInputError, ResourceService, UnauthenticatedError, type DomainEntity, type UserEntity,
} from '@lintel/domain';
import { describeValue, isJsonObject, type JsonObject } from '@lintel/platform';
import type { AuthMethod, MethodResult } from './auth-method.js';
import { totpKey, totpMatches } from './totp.js';
import { TokenService } from './token.service.js';

export const TOTP_METHOD = 'totp';
/** The credential type whose blob is a user's base32 TOTP secret. */
export const TOTP_CREDENTIAL_TYPE = 'totp';

/** A string worth looking up; anything else names nobody (Keystone finds no such user or domain). */
const lookupable = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 255;

/**
 * Keystone's `totp` method (docs/keystone-totp-mfa.md): `{"user": {"id" | "name" + "domain",
 * "passcode"}}`. The passcode is checked against every active `totp` credential of the user for
 * the current 30-second window and `LINTEL_TOTP_INCLUDED_PREVIOUS_WINDOWS` before it. The user and
 * their domain must be enabled; a wrong passcode counts toward lockout as a wrong password does
 * (Keystone's does not), and a locked account is refused.
 */
@Injectable()
export class TotpAuthMethod implements AuthMethod, OnModuleInit {
  readonly name = TOTP_METHOD;

  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly tokens: TokenService,
    private readonly identity: IdentityService,
    private readonly resources: ResourceService,
    private readonly credentials: CredentialService,
  ) {}

  onModuleInit(): void {
    this.tokens.registerMethod(this);
  }

  async authenticate(body: JsonObject): Promise<MethodResult> {
    const { user: u, passcode } = parseTotpBody(body);
    const user = await this.findUser(u);
    if (!user) throw new UnauthenticatedError('totp: unknown or disabled user, or disabled domain');
    const matches = typeof passcode === 'string' && (await this.passcodeMatches(user.id, passcode));
    const outcome = await this.identity.checkFactor(user, matches, this.cfg.lockout);
    if (outcome !== 'ok') throw new UnauthenticatedError(`totp authentication failed (${outcome}) for user ${user.id}`);
    return { user };
  }

  private async findUser(u: JsonObject): Promise<UserEntity | null> {
    let user: UserEntity | null = null;
    if (u.name) {
      const d = u.domain as JsonObject;
      let domain: DomainEntity | null = null;
      if (d.name) domain = lookupable(d.name) ? await this.resources.findDomainByName(d.name) : null;
      else domain = lookupable(d.id) ? await this.resources.getDomain(d.id) : null;
      if (!domain?.enabled || !lookupable(u.name)) return null;
      user = await this.identity.findUserByName(domain.id, u.name);
    } else {
      user = lookupable(u.id) ? await this.identity.getUser(u.id) : null;
      if (user && !(await this.resources.getDomain(user.domainId))?.enabled) return null;
    }
    return user?.enabled ? user : null;
  }

  /** Every active `totp` credential of the user is tried; one whose blob is no usable key is skipped. */
  private async passcodeMatches(userId: string, passcode: string): Promise<boolean> {
    const now = Date.now();
    const creds = await this.credentials.list({ userId, type: TOTP_CREDENTIAL_TYPE });
    let ok = false;
    for (const c of creds) {
      // The type filter is exact here too: MariaDB's collation would also match `TOTP`.
      if (c.type !== TOTP_CREDENTIAL_TYPE || c.state !== 'active' || (c.expiresAt && c.expiresAt.getTime() <= now)) continue;
      const key = totpKey(c.blob);
      if (key && totpMatches(key, passcode, this.cfg.totp.includedPreviousWindows, now)) ok = true;
    }
    return ok;
  }
}

/**
 * The shape Keystone insists on before it looks anything up (its 400s): a `user` with an id or a
 * name, a name with a `domain`, a domain with an id or a name. Empty strings count as absent, as
 * upstream tests truthiness. Values of other types are not errors there: they name nobody (401).
 */
function parseTotpBody(body: JsonObject): { user: JsonObject; passcode: unknown } {
  if (body.user === undefined || body.user === null) throw InvalidInputError.missing('user', TOTP_METHOD);
  const user = body.user;
  if (!isJsonObject(user)) throw InvalidInputError.field('identity/totp/user', `${describeValue('identity/totp/user', user)} is not of type 'object'`);
  if (!user.id && !user.name) throw InvalidInputError.missing('id or name', 'user');
  if (user.name) {
    if (user.domain === undefined) throw InvalidInputError.missing('domain', 'user');
    const d = user.domain;
    if (!isJsonObject(d)) throw InvalidInputError.field('identity/totp/user/domain', `${describeValue('identity/totp/user/domain', d)} is not of type 'object'`);
    if (!d.id && !d.name) throw InvalidInputError.missing('id or name', 'domain');
  }
  return { user, passcode: user.passcode };
}
