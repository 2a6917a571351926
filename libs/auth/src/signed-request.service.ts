import { Inject, Injectable } from '@nestjs/common';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import {
  ec2RequestTime, s3TokenTime, SignatureFormatError, verifyEc2Signature, verifyS3Token, type Ec2Credentials,
} from '@lintel/credentials';
import {
  CredentialService, DomainError, isEc2, isUsable, NotFoundError, UnauthenticatedError, type Credential,
} from '@lintel/domain';
import { TokenService, type TokenView } from './token.service.js';

/** The S3 form of a signed request: the string-to-sign (URL-safe base64) and its signature. */
export interface S3Credentials {
  access?: string;
  token?: string;
  signature?: string;
}

/** Unknown key and non-ec2 credential answer alike, so keys cannot be enumerated (bug 2077541). */
const keyNotFound = () => new DomainError('NotFound', 'EC2 access key not found.');

/**
 * Turns a request signed with an access key into a project-scoped token for the key's owner
 * (Keystone's ec2tokens / s3tokens, contract §6): the key must exist, be active and unexpired,
 * the signature must match and be fresh (CVE-2020-12692), and the owner must still hold a role on
 * the key's project now; the token carries only those current roles.
 */
@Injectable()
export class SignedRequestService {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly credentials: CredentialService,
    private readonly tokens: TokenService,
  ) {}

  async ec2(c: Ec2Credentials): Promise<{ id: string; view: TokenView }> {
    const cred = await this.lookup(c.access);
    if (!verifyEc2Signature(this.secretOf(cred), c)) throw new UnauthenticatedError('EC2 signature mismatch');
    let at: Date | undefined;
    try {
      at = ec2RequestTime(c);
    } catch (e) {
      if (e instanceof SignatureFormatError) throw new UnauthenticatedError(`EC2 request time unreadable: ${e.message}`);
      throw e;
    }
    return this.finish(cred, at, 'ec2tokens');
  }

  async s3(c: S3Credentials): Promise<{ id: string; view: TokenView }> {
    const cred = await this.lookup(c.access);
    if (typeof c.token !== 'string' || typeof c.signature !== 'string' || !verifyS3Token(this.secretOf(cred), c.token, c.signature)) {
      throw new UnauthenticatedError('S3 signature mismatch');
    }
    let at: Date | undefined;
    try {
      at = s3TokenTime(c.token);
    } catch (e) {
      if (e instanceof SignatureFormatError) throw new UnauthenticatedError(`S3 request time unreadable: ${e.message}`);
      throw e;
    }
    return this.finish(cred, at, 's3tokens');
  }

  private async lookup(access: string | undefined): Promise<Credential> {
    if (!access) throw new UnauthenticatedError('EC2 signature not supplied');
    const cred = await this.credentials.findByAccessKeyCached(access);
    if (!cred || !isEc2(cred.type)) throw keyNotFound();
    return cred;
  }

  private secretOf(cred: Credential): string {
    const secret = (JSON.parse(cred.blob) as { secret?: unknown }).secret;
    if (typeof secret !== 'string') throw new UnauthenticatedError('credential has no secret');
    return secret;
  }

  private async finish(cred: Credential, at: Date | undefined, service: string): Promise<{ id: string; view: TokenView }> {
    if (!isUsable(cred)) throw new UnauthenticatedError(`credential ${cred.id.slice(0, 8)}… is ${cred.state === 'active' ? 'expired' : 'inactive'}`);
    if (!cred.projectId) throw new NotFoundError('project', 'None');
    const ttl = this.cfg.credential.authTtl * 1000;
    // Keystone's rule: refused once older than the window (a presigned URL's time is its expiry).
    if (at && Date.now() > at.getTime() + ttl) throw new UnauthenticatedError('signed request older than the freshness window');
    // issueFor checks that user, project and domains are enabled and that the owner holds a role now.
    const issued = await this.tokens.issueFor(cred.userId, { project: cred.projectId }, ['ec2credential']);
    this.credentials.recordUse(cred.id, service);
    return issued;
  }
}
