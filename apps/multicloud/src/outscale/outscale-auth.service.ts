import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { parseIso8601, parseOscAuthorization, SignatureFormatError, verifyOscSignature } from '@lintel/credentials';
import { failureReason, KeyAuthorityService, KeyCallers, PasswordLogin } from '@lintel/auth';
import { CloudAccountService, CredentialService, DomainError, isDelegatedKeyBlob, isEc2, SignatureReplayService, type KeyCaller, type UserEntity } from '@lintel/domain';
import { accessDenied } from './outscale-exception.filter.js';
import { rawBodyOf } from './outscale-raw-body.js';
import { OutscaleSettings } from './outscale-settings.js';

/** Who called: the user (whose domain a bare UserName is looked up in) and the core's caller. */
export interface OutscaleCaller {
  user: UserEntity;
  caller: KeyCaller;
}

const origin = (req: FastifyRequest) => ({ address: req.ip, requestId: String(req.id) });

/** Services a signature's scope may name: `api` as the SDKs sign, `oapi` accepted defensively (docs/outscale.md, "Authentication"). */
const SERVICES = new Set(['api', 'oapi']);

/**
 * Who is calling (docs/outscale.md, "Authentication"): an access-key signature (OSC4 or AWS4 family) checked
 * against the key's secret in the shared store, request within LINTEL_CREDENTIAL_AUTH_TTL of now,
 * then the key's authority (KeyAuthorityService: active, unexpired, owner and project enabled, a
 * role held there now), which is all such a caller may act with; or Basic login/password on the
 * login path every dialect shares (docs/security.md, "M4"). Every failure is the same 401 (a rate
 * limit: 429); the reason goes to the log.
 */
@Injectable()
export class OutscaleAuthService {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly settings: OutscaleSettings,
    private readonly credentials: CredentialService,
    private readonly accounts: CloudAccountService,
    private readonly authority: KeyAuthorityService,
    private readonly callers: KeyCallers,
    private readonly logins: PasswordLogin,
    private readonly replays: SignatureReplayService,
  ) {}

  /**
   * The caller. With `once` (an action that changes something), a signed request runs at most
   * once: its signature is spent in the database, and the same signed request sent again, to any
   * replica, within the freshness window is refused (docs/security.md, "L2").
   */
  async authenticate(req: FastifyRequest, once = false): Promise<OutscaleCaller> {
    const header = req.headers.authorization;
    if (typeof header !== 'string' || !header.trim()) throw accessDenied('no Authorization header');
    return /^basic\s/i.test(header.trim()) ? this.basic(req, header.trim()) : this.signature(req, header, once);
  }

  private fresh(at: Date): boolean {
    return Math.abs(Date.now() - at.getTime()) <= this.cfg.credential.authTtl * 1000;
  }

  private async basic(req: FastifyRequest, header: string): Promise<OutscaleCaller> {
    const date = req.headers['x-osc-date'];
    const at = typeof date === 'string' && /^\d{8}T\d{6}Z$/.test(date) ? parseIso8601(date) : undefined;
    if (!at) throw accessDenied('Basic authentication without a valid X-Osc-Date');
    if (!this.fresh(at)) throw accessDenied('X-Osc-Date outside the freshness window');
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw accessDenied('malformed Basic credentials');
    // The shared login path: rate limits (a TooManyRequestsError, Outscale's 429), then lockout.
    const attempt = await this.logins.cloud(req.ip, decoded.slice(0, colon), decoded.slice(colon + 1));
    if (attempt.outcome !== 'ok') throw accessDenied(failureReason(attempt));
    return { user: attempt.user!, caller: this.callers.login(attempt.user!, origin(req)) };
  }

  private async signature(req: FastifyRequest, header: string, once: boolean): Promise<OutscaleCaller> {
    let auth;
    try {
      auth = parseOscAuthorization(header, req.headers);
    } catch (e) {
      if (e instanceof SignatureFormatError) throw accessDenied(`signature format: ${e.message}`);
      throw e;
    }
    if (!SERVICES.has(auth.scope.service)) throw accessDenied(`signature scope names service ${auth.scope.service}`);
    if (this.settings.region !== undefined && auth.scope.region !== this.settings.region) throw accessDenied(`signature scope names region ${auth.scope.region}`);
    if (!this.fresh(auth.at)) throw accessDenied('signed request outside the freshness window');
    const cred = await this.credentials.findByAccessKeyCached(auth.accessKey);
    if (!cred || !isEc2(cred.type)) throw accessDenied('unknown access key');
    const secret = (JSON.parse(cred.blob) as { secret?: unknown }).secret;
    if (typeof secret !== 'string') throw accessDenied('credential has no secret');
    // A key bound to a trust acts only through ec2tokens, with the trust's roles (docs/keystone-trusts.md).
    if (isDelegatedKeyBlob(cred.blob)) throw accessDenied('access key bound to a delegation');
    const url = req.raw.url ?? req.url;
    const q = url.indexOf('?');
    const query = q < 0 ? {} : Object.fromEntries(new URLSearchParams(url.slice(q + 1)));
    if (!verifyOscSignature(auth, { method: req.method, path: q < 0 ? url : url.slice(0, q), query, headers: req.headers, body: rawBodyOf(req) }, secret)) {
      throw accessDenied('signature mismatch');
    }
    const authority = await this.authority.check(cred).catch((e: unknown) => {
      throw e instanceof DomainError ? accessDenied(e.reason ?? e.message) : e;
    });
    // Only a correctly signed request may spend its signature: unsigned traffic never writes.
    if (once && !(await this.replays.spend('outscale', auth.accessKey, auth.signature, new Date(auth.at.getTime() + this.cfg.credential.authTtl * 1000 + 1000)))) {
      throw accessDenied('replayed signature of a request that changes something');
    }
    this.credentials.recordUse(cred.id, 'outscale');
    return { user: authority.view.user, caller: this.callers.key(authority, origin(req)) };
  }
}
