import { Controller, Delete, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PolicyFacts, PolicyService, refuseOutsideDelegation, refuseRestrictedAppCred, withAppCredId, type Principal } from '@lintel/auth';
import { randomAlphanumeric } from '@lintel/credentials';
import {
  AssignmentService, ConflictError, CredentialService, IdentityService, type Credential,
} from '@lintel/domain';
import { isJsonObject } from '@lintel/platform';
import { SodaAuthGuard } from './soda-auth.guard.js';
import { SodaError, SodaExceptionFilter } from './soda-exception.filter.js';

type Req_ = FastifyRequest & { principal: Principal; body?: unknown };
const isObj = isJsonObject;

const forbidden = () => new SodaError(403, 'Operation is not permitted');
/** go-restful pretty-prints with a one-space indent. */
const json = (reply: FastifyReply, status: number, body: unknown) =>
  reply.status(status).header('Content-Type', 'application/json').send(JSON.stringify(body, null, 1));

/**
 * SODA multicloud's `/v1/{tenantId}/aksks` (multicloud-aksks.md): AK/SK pairs for a user of a
 * project, stored as ec2 credentials in the shared store, so Keystone's credential, OS-EC2 and
 * ec2tokens APIs see the same keys.
 */
@Controller('v1/:tenantId/aksks')
@UseGuards(SodaAuthGuard)
@UseFilters(SodaExceptionFilter)
export class AksksController {
  constructor(
    private readonly credentials: CredentialService,
    private readonly identity: IdentityService,
    private readonly assignments: AssignmentService,
    private readonly policy: PolicyService,
    private readonly facts: PolicyFacts,
  ) {}

  @Post()
  async createAksk(@Param('tenantId') tenantId: string, @Req() req: Req_, @Res() reply: FastifyReply): Promise<void> {
    const caller = req.principal;
    const body = req.body;
    if (body === undefined) throw new SodaError(400, 'failed to read request body: EOF');
    const cred = isObj(body) ? body.credential : undefined;
    if (!isObj(body) || (cred !== undefined && !isObj(cred))) throw new SodaError(400, 'invalid credential body');
    for (const key of ['project_id', 'user_id']) {
      if (cred?.[key] !== undefined && typeof cred[key] !== 'string') throw new SodaError(400, 'invalid credential body');
    }
    if (cred?.project_id !== undefined && cred.project_id !== tenantId) throw forbidden();
    const userId = (cred?.user_id as string | undefined) ?? caller.userId;
    await this.authorise(caller, 'lintel:soda:create_aksk', tenantId, userId);
    // A token from an application credential (docs/keystone-application-credentials.md, "EC2
    // credentials"): only an unrestricted one, in its own project; the key keeps its limits.
    refuseRestrictedAppCred(caller, 'credentials');
    refuseOutsideDelegation(caller, tenantId, 'Credential');
    for (let attempt = 0; ; attempt++) {
      const access = randomAlphanumeric(16);
      const secret = randomAlphanumeric(32);
      try {
        await this.credentials.create({ userId, projectId: tenantId, type: 'ec2', issuer: 'soda', blob: withAppCredId(JSON.stringify({ access, secret }), caller) });
        json(reply, 200, { access_key: access, secret_key: secret });
        return;
      } catch (e) {
        // A 16-character key colliding is rare; try a fresh one a couple of times.
        if (!(e instanceof ConflictError) || attempt >= 2) throw e;
      }
    }
  }

  @Get(':userId')
  async getAksk(@Param('tenantId') tenantId: string, @Param('userId') userId: string, @Req() req: Req_, @Res() reply: FastifyReply): Promise<void> {
    json(reply, 200, await this.listFor(req, tenantId, userId));
  }

  @Get(':userId/download')
  async downloadAksk(@Param('tenantId') tenantId: string, @Param('userId') userId: string, @Req() req: Req_, @Res() reply: FastifyReply): Promise<void> {
    const body = await this.listFor(req, tenantId, userId);
    reply.header('Content-Disposition', `attachment; filename="aksk-${userId}.json"`);
    json(reply, 200, body);
  }

  /** Removes all of the user's keys in this project at once (there is no single-key delete in SODA). */
  @Delete(':userId')
  async deleteAksk(@Param('tenantId') tenantId: string, @Param('userId') userId: string, @Req() req: Req_, @Res() reply: FastifyReply): Promise<void> {
    await this.authorise(req.principal, 'lintel:soda:delete_aksk', tenantId, userId);
    refuseOutsideDelegation(req.principal, tenantId, 'Credential');
    await this.credentials.deleteWhere({ userId, projectId: tenantId, type: 'ec2' });
    json(reply, 200, {});
  }

  private async listFor(req: Req_, tenantId: string, userId: string) {
    await this.authorise(req.principal, 'lintel:soda:get_aksk', tenantId, userId);
    const keys = await this.credentials.list({ userId, projectId: tenantId, type: 'ec2' });
    return keys.map((c) => this.render(c));
  }

  /**
   * The policy decides on the project of the path and the user whose keys they are
   * (`lintel:soda:*`: docs/policy.md); that user must then hold a role on the project (404).
   */
  private async authorise(caller: Principal, action: string, tenantId: string, userId: string): Promise<void> {
    const user = await this.identity.getUser(userId);
    const facts = await this.facts.forAction(action, { user });
    if (!this.policy.allows(caller, action, { args: { project_id: tenantId, user_id: userId }, target: { project: { id: tenantId }, user: { id: userId }, ...facts } })) throw forbidden();
    if (!user || !(await this.assignments.effectiveRoles(userId, { project: tenantId })).length) {
      throw new SodaError(404, `user ${userId} not found`);
    }
  }

  private render(c: Credential) {
    const blob = JSON.parse(c.blob) as { access: string; secret?: string };
    return { project_id: c.projectId, user_id: c.userId, type: c.type, blob: { access_key: blob.access, secret_key: blob.secret } };
  }
}
