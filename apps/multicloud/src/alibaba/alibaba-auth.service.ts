import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import {
  parseAcs3Authorization, parseAlibabaTimestamp, SignatureFormatError, verifyAcs3Signature, verifyAlibabaRpcSignature, type Acs3Authorization,
} from '@lintel/credentials';
import { KeyAuthorityService, KeyCallers } from '@lintel/auth';
import { AlibabaKeyService, CredentialService, DomainError, isDelegatedKeyBlob, isEc2, type KeyCaller, type UserEntity } from '@lintel/domain';
import { signatureChecks } from '@lintel/platform';
import { AlibabaError, incompleteSignature, signatureMismatch } from './alibaba-exception.filter.js';
import { rawBodyOf } from './alibaba-raw-body.js';
import type { AlibabaCall } from './alibaba-request.js';


/** The `/metrics` series of this dialect's signature checks. */
const CHECKS = { accepted: signatureChecks.labels({ dialect: 'alibaba', outcome: 'accepted' }), refused: signatureChecks.labels({ dialect: 'alibaba', outcome: 'refused' }) };

/** What a V3 signature must cover at least (openapi-client signs all of these). */
const V3_REQUIRED_SIGNED = ['host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version'];

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

/** Who called: the key's owner (whose domain a bare UserPrincipalName is looked up in) and the core's caller. */
export interface AlibabaCaller {
  user: UserEntity;
  caller: KeyCaller;
}

/** The signed parts of a request, whichever scheme signed it. */
interface Presented {
  accessKey: string;
  nonce: string;
  timestamp: string;
  check: (secret: string) => boolean;
}

/**
 * Who is calling (docs/alibaba.md, "Authentication"): a V1 (HMAC-SHA1 parameters) or V3 (ACS3-HMAC-SHA256
 * header) signature, checked against the stored secret of the key, then the key's authority
 * (KeyAuthorityService: active, unexpired, owner and project enabled, a role held there now),
 * which is all the caller may act with; the timestamp within LINTEL_CREDENTIAL_AUTH_TTL (15 minutes) of now;
 * the SignatureNonce never seen before for that key (the shared `alibaba_nonces` table decides,
 * so a replay fails on every replica). Each success records the key's last use (`alibaba`).
 */
@Injectable()
export class AlibabaAuthService {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly credentials: CredentialService,
    private readonly keys: AlibabaKeyService,
    private readonly authority: KeyAuthorityService,
    private readonly callers: KeyCallers,
  ) {}

  async authenticate(req: FastifyRequest, call: AlibabaCall): Promise<AlibabaCaller> {
    try {
      const r = await this.check(req, call);
      CHECKS.accepted.inc();
      return r;
    } catch (e) {
      CHECKS.refused.inc();
      throw e;
    }
  }

  private async check(req: FastifyRequest, call: AlibabaCall): Promise<AlibabaCaller> {
    const p = call.scheme === 'v1' ? this.v1(req, call) : this.v3(req, call);
    const at = parseAlibabaTimestamp(p.timestamp);
    if (!at) throw new AlibabaError(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.');
    const ttl = this.cfg.credential.authTtl * 1000;
    if (Math.abs(Date.now() - at.getTime()) > ttl) throw new AlibabaError(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.');
    const key = await this.credentials.findByAccessKeyCached(p.accessKey);
    if (!key || !isEc2(key.type)) throw new AlibabaError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.', 'unknown access key');
    const secret = (JSON.parse(key.blob) as { secret?: unknown }).secret;
    if (typeof secret !== 'string' || !p.check(secret)) throw signatureMismatch(`${call.scheme} signature mismatch`);
    // A key bound to a delegation acts only through ec2tokens, with its roles (docs/keystone-trusts.md).
    if (isDelegatedKeyBlob(key.blob)) throw new AlibabaError(400, 'InvalidAccessKeyId.Inactive', 'Specified access key is disabled.', 'access key bound to a delegation');
    // The key's authority: active, unexpired, owner and project enabled, a role held there now.
    const authority = await this.authority.check(key).catch((e: unknown) => {
      throw e instanceof DomainError ? new AlibabaError(400, 'InvalidAccessKeyId.Inactive', 'Specified access key is disabled.', e.reason ?? e.message) : e;
    });
    // Only a correctly signed request may spend a nonce: unsigned traffic never writes.
    if (!(await this.keys.claimNonce(p.accessKey, p.nonce, new Date(at.getTime() + ttl + 1000)))) {
      throw new AlibabaError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.', 'replayed nonce');
    }
    this.credentials.recordUse(key.id, 'alibaba');
    return { user: authority.view.user, caller: this.callers.key(authority, { address: req.ip, requestId: String(req.id) }) };
  }

  /** V1: the common parameters of the RPC style (docs/alibaba.md, "Authentication"). */
  private v1(req: FastifyRequest, call: AlibabaCall): Presented {
    const p = call.params;
    const missing = ['AccessKeyId', 'Signature', 'SignatureMethod', 'SignatureNonce', 'Timestamp'].filter((k) => !p[k]);
    if (missing.length) throw incompleteSignature(`missing ${missing.join(', ')}`);
    if (p.SignatureMethod !== 'HMAC-SHA1') throw incompleteSignature(`SignatureMethod ${p.SignatureMethod!.slice(0, 20)}`);
    if (p.SignatureVersion !== undefined && p.SignatureVersion !== '1.0') throw incompleteSignature(`SignatureVersion ${p.SignatureVersion.slice(0, 20)}`);
    return {
      accessKey: p.AccessKeyId!, nonce: p.SignatureNonce!, timestamp: p.Timestamp!,
      check: (secret) => verifyAlibabaRpcSignature(req.method, p, secret),
    };
  }

  /** V3: ACS3-HMAC-SHA256 over method, path, query, the x-acs-* / host / content-type headers and the body hash (docs/alibaba.md, "Authentication"). */
  private v3(req: FastifyRequest, call: AlibabaCall): Presented {
    let auth: Acs3Authorization;
    try {
      auth = parseAcs3Authorization(header(req, 'authorization') ?? '');
    } catch (e) {
      if (e instanceof SignatureFormatError) throw incompleteSignature(`authorization: ${e.message}`);
      throw e;
    }
    const unsigned = V3_REQUIRED_SIGNED.filter((n) => !auth.signedHeaders.includes(n) || header(req, n) === undefined);
    if (header(req, 'content-type') !== undefined && !auth.signedHeaders.includes('content-type')) unsigned.push('content-type');
    if (unsigned.length) throw incompleteSignature(`unsigned or absent headers: ${unsigned.join(', ')}`);
    const payloadHash = header(req, 'x-acs-content-sha256')!;
    const actual = createHash('sha256').update(rawBodyOf(req)).digest('hex');
    const url = req.raw.url ?? req.url;
    const q = url.indexOf('?');
    return {
      accessKey: auth.accessKey, nonce: header(req, 'x-acs-signature-nonce')!, timestamp: header(req, 'x-acs-date')!,
      check: (secret) => payloadHash === actual
        && verifyAcs3Signature({ method: req.method, path: q < 0 ? url : url.slice(0, q), query: call.query, headers: req.headers, payloadHash }, auth, secret),
    };
  }
}
