import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { refuseRestrictedAppCred, withAppCredId, type AuthenticatedRequest } from '@lintel/auth';
import { CredentialService, isEc2, NotFoundError, type Credential } from '@lintel/domain';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { credentialTarget } from '../targets.js';
import { parseCreateCredential, parsePatchCredential } from './credential-body.js';
import { allowsPrimaryAuth, requirePrimaryAuth, withTrust } from './delegated-credentials.js';
import { renderCredential } from './credential.render.js';
import { pageRequest } from '../resources/pagination.js';

/** `/v3/credentials` (docs/keystone.md, "Credentials"), on the shared credential store. */
@Controller('v3/credentials')
export class CredentialsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly credentials: CredentialService,
    private readonly authz: KeystonePolicy,
  ) {}

  @Post()
  async createCredential(@Body() body: unknown, @Req() req: AuthenticatedRequest) {
    const input = parseCreateCredential(body);
    const caller = this.authz.enforce(req, 'identity:create_credential', { target: { credential: credentialTarget({ id: '', ...input }) } });
    // Delegated tokens (docs/keystone-application-credentials.md and docs/keystone-trusts.md, "EC2
    // credentials"): a restricted application credential makes no access keys; the others stay in
    // their project, and the key remembers the credential or trust it was made under.
    if (isEc2(input.type)) refuseRestrictedAppCred(caller, 'credentials');
    requirePrimaryAuth(caller, this.cfg, input);
    if (isEc2(input.type)) input.blob = withTrust(caller, input.type, withAppCredId(input.blob, caller));
    const c = await this.credentials.create({ ...input, issuer: 'keystone' });
    return { credential: renderCredential(c, baseUrl(req, this.cfg)) };
  }

  /**
   * As Keystone (CVE-2019-19687): `identity:list_credentials` on the caller's own credentials
   * (unless system-scoped), then each credential is shown only where `identity:get_credential` allows.
   */
  @Get()
  async listCredentials(@Query() q: Record<string, unknown>, @Req() req: AuthenticatedRequest) {
    const filter = { userId: typeof q.user_id === 'string' ? q.user_id : undefined, type: typeof q.type === 'string' ? q.type : undefined };
    const ownOnly = req.principal && !(req.principal.scope && 'system' in req.principal.scope);
    const caller = this.authz.enforce(req, 'identity:list_credentials', {
      target: ownOnly ? { credential: { user_id: req.principal.userId } } : undefined,
      filters: { ...(filter.userId !== undefined ? { user_id: filter.userId } : {}), ...(filter.type !== undefined ? { type: filter.type } : {}) },
    });
    // Keystone's order: the driver cuts the list at `[credential] list_limit`, then the policy filters it.
    const page = await this.credentials.listPage(filter, pageRequest(q, this.cfg, 'credential').limit);
    const base = baseUrl(req, this.cfg);
    return {
      credentials: page.items.filter((c) => this.authz.allows(caller, 'identity:get_credential', { target: { credential: credentialTarget(c) } }) && allowsPrimaryAuth(caller, this.cfg, c))
        .map((c) => renderCredential(c, base)),
      links: { self: selfUrl(req, this.cfg), previous: null, next: null },
      ...(page.truncated ? { truncated: true } : {}),
    };
  }

  @Get(':id')
  async getCredential(@Param('id') id: string, @Req() req: AuthenticatedRequest) {
    const c = await this.authorize(req, 'identity:get_credential', id);
    return { credential: renderCredential(c, baseUrl(req, this.cfg)) };
  }

  /** Authorised against the stored and the merged credential, so nobody re-owns one (CVE-2020-12691). */
  @Patch(':id')
  async updateCredential(@Param('id') id: string, @Body() body: unknown, @Req() req: AuthenticatedRequest) {
    const patch = parsePatchCredential(body, id);
    await this.authorize(req, 'identity:update_credential', id);
    const c = await this.credentials.update(id, patch, (current, merged) => {
      this.authz.enforce(req, 'identity:update_credential', { args: { credential_id: id }, target: { credential: credentialTarget(current) } });
      this.authz.enforce(req, 'identity:update_credential', { args: { credential_id: id }, target: { credential: credentialTarget(merged) } });
      requirePrimaryAuth(req.principal, this.cfg, merged);
    });
    return { credential: renderCredential(c, baseUrl(req, this.cfg)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async deleteCredential(@Param('id') id: string, @Req() req: AuthenticatedRequest): Promise<void> {
    await this.authorize(req, 'identity:delete_credential', id);
    await this.credentials.delete(id);
  }

  /**
   * Keystone's order: the policy sees the stored credential (or none: a 403 before any 404 for
   * non-admins), then the 404, then a delegated token's 403.
   */
  private async authorize(req: AuthenticatedRequest, action: string, id: string): Promise<Credential> {
    const c = await this.credentials.get(id);
    const caller = this.authz.enforce(req, action, { args: { credential_id: id }, target: c ? { credential: credentialTarget(c) } : {} });
    if (!c) throw new NotFoundError('credential', id);
    requirePrimaryAuth(caller, this.cfg, c);
    return c;
  }
}
