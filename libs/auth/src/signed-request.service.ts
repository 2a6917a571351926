import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import {
  ec2SignedTime, s3TokenTime, SignatureFormatError, verifyEc2Signature, verifyS3Token, withinWindow, type Ec2Credentials, type SignedTime,
} from '@lintel/credentials';
import {
  ApplicationCredentialNotFoundError, ApplicationCredentialService, CredentialService, DomainError, isEc2, isExpired, TrustService, UnauthenticatedError, type Credential,
} from '@lintel/domain';
import { signatureChecks } from '@lintel/platform';
import { KeyAuthorityService } from './key-authority.service.js';
import { TokenService, type TokenView } from './token.service.js';

/** The S3 form of a signed request: the string-to-sign (URL-safe base64) and its signature. */
export interface S3Credentials {
  access?: string;
  token?: string;
  signature?: string;
}

const REUSE_MS = 1000;
/** Keys whose last token is kept for reuse; beyond it the least recently used goes. */
const MAX_REUSED = 10_000;

/** The `/metrics` series of each dialect's outcomes, looked up once rather than hashed per check. */
const outcomes = (dialect: string) => ({ accepted: signatureChecks.labels({ dialect, outcome: 'accepted' }), refused: signatureChecks.labels({ dialect, outcome: 'refused' }) });
const SERIES = { ec2: outcomes('ec2'), s3: outcomes('s3') };

/** Unknown key and non-ec2 credential answer alike, so keys cannot be enumerated (bug 2077541). */
const keyNotFound = () => new DomainError('NotFound', 'EC2 access key not found.');

/** The signed request time `read` finds; an unreadable one is a 401 like any bad signature. */
function signedAt(dialect: string, read: () => SignedTime | undefined): SignedTime | undefined {
  try {
    return read();
  } catch (e) {
    if (e instanceof SignatureFormatError) throw new UnauthenticatedError(`${dialect} request time unreadable: ${e.message}`);
    throw e;
  }
}

function accessOf(access: string | undefined): string {
  if (!access) throw new UnauthenticatedError('EC2 signature not supplied');
  return access;
}

/** The credential an access key names, if it is an ec2 one (plain functions: no promise of their own per request). */
function ec2Key(cred: Credential | null): Credential {
  if (!cred || !isEc2(cred.type)) throw keyNotFound();
  return cred;
}

/**
 * Turns a request signed with an access key into a project-scoped token for the key's owner
 * (Keystone's ec2tokens / s3tokens, docs/keystone.md, "EC2 tokens"): the key must exist, be active and unexpired,
 * the signature must match and cover a time within the window (CVE-2020-12692; docs/security.md,
 * "M1", "M2"), and the key's authority must hold (KeyAuthorityService: owner, project and their
 * domains enabled, a role held there now); the token carries only those current roles.
 */
@Injectable()
export class SignedRequestService {
  private readonly secrets = new WeakMap<Credential, { blob: string; secret: string }>();
  private readonly recent = new LRUCache<string, { version: string; value: Promise<{ id: string; view: TokenView }> }>({ max: MAX_REUSED, ttl: REUSE_MS });

  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly credentials: CredentialService,
    private readonly tokens: TokenService,
    private readonly authority: KeyAuthorityService,
    private readonly appCreds: ApplicationCredentialService,
    private readonly trusts: TrustService,
  ) {}

  ec2(c: Ec2Credentials): Promise<{ id: string; view: TokenView }> {
    return this.exchange('ec2', c.access, (secret) => {
      if (!verifyEc2Signature(secret, c)) throw new UnauthenticatedError('EC2 signature mismatch');
      return signedAt('EC2', () => {
        const at = ec2SignedTime(c);
        return at && { at, kind: 'signed' };
      });
    });
  }

  s3(c: S3Credentials): Promise<{ id: string; view: TokenView }> {
    return this.exchange('s3', c.access, (secret) => {
      const { token, signature } = c;
      if (typeof token !== 'string' || typeof signature !== 'string' || !verifyS3Token(secret, token, signature)) {
        throw new UnauthenticatedError('S3 signature mismatch');
      }
      return signedAt('S3', () => s3TokenTime(token));
    });
  }

  /**
   * The exchange both dialects share: the key, `check` (the signature against the key's secret,
   * returning the signed time), the key's state and the request's freshness, then the token.
   * Counted by outcome in `/metrics` within the one async call (no promise wrapped around it).
   */
  private async exchange(dialect: keyof typeof SERIES, access: string | undefined, check: (secret: string) => SignedTime | undefined): Promise<{ id: string; view: TokenView }> {
    try {
      const cred = ec2Key(await this.credentials.findByAccessKeyCached(accessOf(access)));
      const at = check(this.secretOf(cred));
      // A trust-bound key (docs/keystone-trusts.md) acts with the trust's roles, checked when its token is issued.
      if (this.blobOf(cred).trustId) this.authority.checkState(cred);
      else await this.authority.check(cred, Date.now(), true);
      this.checkFresh(at);
      const issued = await this.tokenFor(cred);
      this.credentials.recordUse(cred.id, `${dialect}tokens`);
      SERIES[dialect].accepted.inc();
      return issued;
    } catch (e) {
      SERIES[dialect].refused.inc();
      throw e;
    }
  }

  /**
   * The key's secret, read from its blob once per credential object (the access-key cache hands
   * out the same object for a second): the same string each time also lets the derived-key cache
   * find it without hashing a new string per request.
   */
  private secretOf(cred: Credential): string {
    return this.blobOf(cred).secret;
  }

  /** The secret and the trust (`trust_id`, docs/keystone-trusts.md) of a key's blob, read once per credential object. */
  private blobOf(cred: Credential): { secret: string; trustId?: string } {
    const known = this.secrets.get(cred);
    if (known?.blob === cred.blob) return known;
    const blob = JSON.parse(cred.blob) as { secret?: unknown; trust_id?: unknown };
    if (typeof blob.secret !== 'string') throw new UnauthenticatedError('credential has no secret');
    const parsed = { blob: cred.blob, secret: blob.secret, ...(typeof blob.trust_id === 'string' && blob.trust_id ? { trustId: blob.trust_id } : {}) };
    this.secrets.set(cred, parsed);
    return parsed;
  }

  /**
   * A key made with an application credential's token (`app_cred_id` in its blob) gives tokens
   * limited as that credential's are: it must still exist, for the key's user and project; the
   * token carries it, so its roles are the credential's and it ends with the credential
   * (docs/keystone-application-credentials.md, "EC2 credentials").
   */
  private async issue(cred: Credential): Promise<{ id: string; view: TokenView }> {
    const appCredId = (JSON.parse(cred.blob) as { app_cred_id?: unknown }).app_cred_id;
    if (typeof appCredId !== 'string' || !appCredId) return this.tokens.issueFor(cred.userId, { project: cred.projectId! }, ['ec2credential']);
    const ac = await this.appCreds.get(appCredId);
    if (!ac) throw new ApplicationCredentialNotFoundError(appCredId);
    if (ac.projectId !== cred.projectId) throw new UnauthenticatedError('EC2 credential project does not match the application credential project.');
    if (ac.userId !== cred.userId || isExpired(ac.expiresAt)) throw new UnauthenticatedError(`application credential ${appCredId} of the key is expired or another user's`);
    return this.tokens.issueFor(cred.userId, { project: cred.projectId! }, ['ec2credential'], {
      claims: { appCredId }, ...(ac.expiresAt !== null ? { expiresAt: Number(ac.expiresAt / 1000n) } : {}),
    });
  }

  /**
   * The request must carry a signed time within the window, before or after now (docs/security.md,
   * "M1", "M2"; the key's own state and authority are KeyAuthorityService's). Keystone checks only
   * the past, and only a time it finds (signed or not); a signature covering no time passes there.
   */
  private checkFresh(at: SignedTime | undefined): void {
    if (!at) throw new UnauthenticatedError('the signature covers no request time');
    if (!withinWindow(at, this.cfg.credential.authTtl)) throw new UnauthenticatedError(`signed request ${at.kind === 'expires' ? 'expiry' : 'time'} outside the freshness window`);
  }

  /**
   * The token for a verified request: the one minted for the same key during the last second,
   * while nothing was revoked meanwhile, else a new one. Services like Swift's s3token exchange
   * every request, and the answer would be the same token for the same user, project and roles;
   * minting (an ES256 signature) is most of the cost. The signature, freshness and key state are
   * still checked on every request.
   */
  private tokenFor(cred: Credential): Promise<{ id: string; view: TokenView }> {
    const version = this.tokens.validityVersion();
    const hit = this.recent.get(cred.id);
    if (hit && hit.version === version) return hit.value;
    // issueFor checks that user, project and domains are enabled and that the owner holds a role now.
    const trustId = this.blobOf(cred).trustId;
    const value = trustId ? this.trustToken(cred, trustId) : this.issue(cred);
    const entry = { version, value };
    this.recent.set(cred.id, entry);
    value.catch(() => {
      if (this.recent.peek(cred.id) === entry) this.recent.delete(cred.id);
    });
    return value;
  }

  /**
   * A key created with a trust-scoped token gives trust-scoped tokens (Keystone's rule): the trust
   * must still be usable (404 naming it when not); the token's user is the trustee (with
   * impersonation the key belongs to the trustor, whom the token then shows).
   */
  private async trustToken(cred: Credential, trustId: string): Promise<{ id: string; view: TokenView }> {
    const trust = await this.trusts.get(trustId);
    const userId = trust.impersonation ? trust.trusteeUserId : cred.userId;
    return this.tokens.issueFor(userId, { project: cred.projectId! }, ['ec2credential'], { claims: { trustId } });
  }
}
