import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import {
  AssignmentService, CredentialService, ForbiddenError, IdentityService, isEc2, newId, NotFoundError, ResourceService,
  UnauthenticatedError, type Credential,
} from '@lintel/domain';
import { ec2CredentialId } from '@lintel/credentials';
import { refuseRestrictedAppCred, scopedProject, withAppCredId } from '@lintel/auth';
import { baseUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { credentialTarget } from '../targets.js';
import { renderEc2 } from './credential.render.js';
import { allowsPrimaryAuth, requirePrimaryAuth } from './delegated-credentials.js';


/** `/v3/users/{user_id}/credentials/OS-EC2` (docs/keystone.md, "OS-EC2"): the legacy view of ec2 credentials. */
@Controller('v3/users/:userId/credentials/OS-EC2')
export class OsEc2Controller {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly credentials: CredentialService,
    private readonly identity: IdentityService,
    private readonly resources: ResourceService,
    private readonly assignments: AssignmentService,
    private readonly authz: KeystonePolicy,
  ) {}

  @Post()
  async createEc2Credential(@Param('userId') userId: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    const caller = this.authz.enforce(req, 'identity:ec2_create_credential', { args: { user_id: userId }, target: { credential: { user_id: userId } } });
    refuseRestrictedAppCred(caller);
    await this.requireUser(userId);
    const tenant = (body as { tenant_id?: unknown } | undefined)?.tenant_id;
    const project = typeof tenant === 'string' ? await this.resources.getProject(tenant) : null;
    if (!project) throw new NotFoundError('project', typeof tenant === 'string' ? tenant : 'None');
    requirePrimaryAuth(caller, this.cfg, { type: 'ec2', projectId: project.id }, 'EC2 credential');
    // A hardening of Keystone (docs/keystone.md, "Where Lintel differs from Keystone"): a key for
    // a project its owner has no role on is refused; a key made under a trust acts with the
    // trust's roles there (docs/keystone-trusts.md).
    const underTrust = !!caller.claims.trustId && scopedProject(caller) === project.id;
    if (!underTrust && !(await this.assignments.effectiveRoles(userId, { project: project.id })).length) {
      throw new ForbiddenError('identity:ec2_create_credential');
    }
    const access = newId();
    const c = await this.credentials.create({
      userId, projectId: project.id, type: 'ec2', issuer: 'os-ec2',
      blob: withAppCredId(JSON.stringify({ access, secret: newId(), trust_id: caller.claims.trustId ?? null }), caller),
    });
    return { credential: renderEc2(c, baseUrl(req, this.cfg)) };
  }

  @Get()
  async listEc2Credentials(@Param('userId') userId: string, @Req() req: FastifyRequest) {
    const caller = this.authz.enforce(req, 'identity:ec2_list_credentials', { args: { user_id: userId } });
    requirePrimaryAuth(caller, this.cfg, { type: 'ec2', projectId: scopedProject(caller) ?? null });
    await this.requireUser(userId);
    const base = baseUrl(req, this.cfg);
    const all = (await this.credentials.list({ userId })).filter((c) => isEc2(c.type) && allowsPrimaryAuth(caller, this.cfg, c));
    return {
      credentials: all.map((c) => renderEc2(c, base)),
      links: { self: `${base}/v3/users/${userId}/credentials/OS-EC2`, previous: null, next: null },
    };
  }

  @Get(':access')
  async getEc2Credential(@Param('userId') userId: string, @Param('access') access: string, @Req() req: FastifyRequest) {
    const c = await this.load(req, 'identity:ec2_get_credential', userId, access);
    return { credential: renderEc2(c, baseUrl(req, this.cfg)) };
  }

  @Delete(':access')
  @HttpCode(204)
  async deleteEc2Credential(@Param('userId') userId: string, @Param('access') access: string, @Req() req: FastifyRequest): Promise<void> {
    const c = await this.load(req, 'identity:ec2_delete_credential', userId, access);
    await this.credentials.delete(c.id);
  }

  private async requireUser(userId: string): Promise<void> {
    if (!(await this.identity.getUser(userId))) throw new NotFoundError('user', userId);
  }

  /**
   * By access key, in Keystone's order: the credential is the policy's target (404 when there is
   * none), then the user must exist; another user's key under this path is "not found" (a
   * tightening of Keystone, docs/keystone.md "OS-EC2").
   */
  private async load(req: FastifyRequest, action: string, userId: string, access: string): Promise<Credential> {
    const id = ec2CredentialId(access);
    const c = await this.credentials.get(id);
    if (!c) throw new NotFoundError('credential', id);
    const caller = this.authz.enforce(req, action, { args: { user_id: userId, credential_id: access }, target: { credential: credentialTarget(c) } });
    await this.requireUser(userId);
    if (c.userId !== userId) throw new NotFoundError('credential', id);
    if (!isEc2(c.type)) throw new UnauthenticatedError('OS-EC2 lookup of a credential that is not ec2');
    requirePrimaryAuth(caller, this.cfg, c, 'EC2 credential');
    return c;
  }
}
