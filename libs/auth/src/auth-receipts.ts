import { Inject, Injectable, Logger } from '@nestjs/common';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { ResourceService, UnauthenticatedError, type DomainEntity, type UserEntity } from '@lintel/domain';
import { mfaSatisfied, requiredAuthMethods } from './mfa-rules.js';
import { TokenFormatError, TokenProvider } from './token-provider.js';

/** The header that carries an auth receipt, both ways (Keystone's AUTH_RECEIPT_HEADER). */
export const AUTH_RECEIPT_HEADER = 'Openstack-Auth-Receipt';

/**
 * The protected-header `typ` of a receipt. Tokens are `JWT`, and each side checks its own: a
 * receipt is never accepted as a token, nor a token as a receipt.
 */
const RECEIPT_TYP = 'openstack-auth-receipt+jwt';

interface ReceiptPayload {
  sub: string;
  /** Methods already proved; a name of its own, so not even the payload reads as a token's. */
  openstack_receipt_methods: string[];
  iat: number;
  exp: number;
}

/** What a 401 with a receipt shows (Keystone's receipt response). */
export interface ReceiptView {
  id: string;
  user: UserEntity;
  userDomain: DomainEntity | null;
  methods: string[];
  /** Milliseconds since the epoch, whole seconds. */
  issuedAt: number;
  expiresAt: number;
  /** The user's rules that the methods proved so far can still complete. */
  required: string[][];
}

/**
 * Keystone's answer to a login that proved who the user is but not every method their rules ask
 * for: a 401 whose body is the receipt (no error envelope) and whose `Openstack-Auth-Receipt`
 * header carries it, for the next request to present with the missing methods.
 */
export class AuthReceiptRequiredError extends UnauthenticatedError {
  constructor(readonly receipt: ReceiptView) {
    super(`methods [${receipt.methods.join(',')}] satisfy no multi-factor rule of user ${receipt.user.id}; receipt issued`);
  }
}

/**
 * Keystone's ReceiptNotFound (401) for a receipt that is malformed, forged, expired or another
 * user's. Keystone's message quotes the receipt; Lintel's does not, as no error repeats a credential.
 */
export function receiptNotFound(reason: string): UnauthenticatedError {
  return new UnauthenticatedError(`auth receipt rejected: ${reason}`, 'Could not find auth receipt.');
}

/**
 * Multi-factor authentication rules and auth receipts (docs/keystone-totp-mfa.md). Receipts are
 * compact JWS signed with the token keys under a type of their own, bound to one user, holding the
 * methods already proved, valid for `LINTEL_RECEIPT_EXPIRATION` seconds. Like Keystone's they are
 * not stored: one may be presented again until it expires.
 */
@Injectable()
export class AuthReceipts {
  private readonly logger = new Logger(AuthReceipts.name);

  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly provider: TokenProvider,
    private readonly resources: ResourceService,
  ) {}

  /**
   * The methods a presented receipt has proved, once it is checked: signature and type, expiry,
   * and that it was issued to the user this request authenticated.
   */
  async redeem(receipt: string, userId: string): Promise<string[]> {
    let p: Record<string, unknown>;
    try {
      p = await this.provider.verifyTyped(receipt, RECEIPT_TYP);
    } catch (e) {
      if (e instanceof TokenFormatError) throw receiptNotFound(e.message);
      throw e;
    }
    const methods = p.openstack_receipt_methods;
    if (typeof p.sub !== 'string' || typeof p.exp !== 'number' || !Array.isArray(methods) || !methods.every((m) => typeof m === 'string')) {
      throw receiptNotFound('claims missing');
    }
    if (p.exp * 1000 <= Date.now()) throw receiptNotFound('expired');
    if (p.sub !== userId) throw receiptNotFound(`issued to user ${p.sub}, presented for user ${userId}`);
    return methods as string[];
  }

  /**
   * Passes when the methods satisfy the user's rules; otherwise issues a receipt for them and
   * throws AuthReceiptRequiredError. `offered` are the methods this server accepts.
   */
  async requireRules(user: UserEntity, methods: Iterable<string>, offered: readonly string[]): Promise<void> {
    const proved = [...new Set(methods)];
    if (mfaSatisfied(user.options, proved, offered)) return;
    const now = Math.floor(Date.now() / 1000);
    const payload: ReceiptPayload = { sub: user.id, openstack_receipt_methods: proved, iat: now, exp: now + this.cfg.receipt.expiration };
    const id = this.provider.signTyped(RECEIPT_TYP, payload);
    this.logger.debug(`receipt issued to user ${user.id} for methods [${proved.join(',')}]`);
    throw new AuthReceiptRequiredError({
      id, user, userDomain: await this.resources.getDomain(user.domainId), methods: proved,
      issuedAt: payload.iat * 1000, expiresAt: payload.exp * 1000, required: requiredAuthMethods(user.options, proved, offered),
    });
  }
}
