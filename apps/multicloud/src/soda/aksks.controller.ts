import { Controller, Delete, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { IsString } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { KeyCallers, refuseOutsideDelegation, refuseRestrictedAppCred, type AuthenticatedRequest } from '@lintel/auth';
import { AccessKeyService, KEY_DIALECTS, type Credential } from '@lintel/domain';
import { IfPresent, Nested, validateBody, type BodyViolation } from '@lintel/platform';
import { SodaAuthGuard } from './soda-auth.guard.js';
import { SodaError, SodaExceptionFilter } from './soda-exception.filter.js';

/** `POST /v1/{tenantId}/aksks`' body (docs/soda.md): `{"credential": {"project_id"?, "user_id"?}}`, every member optional. */
class SodaCredential {
  @IfPresent() @IsString() project_id?: string;
  @IfPresent() @IsString() user_id?: string;
}

class CreateAkskBody {
  @IfPresent() @Nested(() => SodaCredential) credential?: SodaCredential;
}

/** SODA words every bad body alike; no body at all is the EOF its JSON decoder meets. */
const sodaBodyError = ([v]: BodyViolation[]) =>
  new SodaError(400, v!.rule === 'isJsonObject' && v!.path.length === 0 && v!.value === undefined ? 'failed to read request body: EOF' : 'invalid credential body');

/** go-restful pretty-prints with a one-space indent. */
const json = (reply: FastifyReply, status: number, body: unknown) =>
  reply.status(status).header('Content-Type', 'application/json').send(JSON.stringify(body, null, 1));

/**
 * SODA multicloud's `/v1/{tenantId}/aksks` (docs/soda.md): AK/SK pairs for a user of a
 * project, stored as ec2 credentials in the shared store, so Keystone's credential, OS-EC2 and
 * ec2tokens APIs see the same keys. The access-key core decides and writes (docs/access-keys.md;
 * `lintel:soda:*` rules on the path's project and the keys' owner, who must hold a role there:
 * 404 otherwise); this is SODA's wire format around it.
 */
@Controller('v1/:tenantId/aksks')
@UseGuards(SodaAuthGuard)
@UseFilters(SodaExceptionFilter)
export class AksksController {
  constructor(
    private readonly keys: AccessKeyService,
    private readonly callers: KeyCallers,
  ) {}

  @Post()
  async createAksk(@Param('tenantId') tenantId: string, @Req() req: AuthenticatedRequest, @Res() reply: FastifyReply): Promise<void> {
    const cred = validateBody(CreateAkskBody, req.body, sodaBodyError).credential;
    if (cred?.project_id !== undefined && cred.project_id !== tenantId) throw new SodaError(403, 'Operation is not permitted');
    // A token from an application credential (docs/keystone-application-credentials.md, "EC2
    // credentials"): only an unrestricted one, in its own project; the key keeps its limits.
    refuseRestrictedAppCred(req.principal, 'credentials');
    refuseOutsideDelegation(req.principal, tenantId, 'Credential');
    const issued = (await this.keys.issue(this.caller(req), KEY_DIALECTS.soda, {
      action: 'lintel:soda:create_aksk', ownerId: cred?.user_id ?? req.principal.userId, projectId: tenantId,
    }))!;
    json(reply, 200, { access_key: issued.credential.accessKey, secret_key: issued.secret });
  }

  @Get(':userId')
  async getAksk(@Param('tenantId') tenantId: string, @Param('userId') userId: string, @Req() req: AuthenticatedRequest, @Res() reply: FastifyReply): Promise<void> {
    json(reply, 200, await this.listFor(req, tenantId, userId));
  }

  @Get(':userId/download')
  async downloadAksk(@Param('tenantId') tenantId: string, @Param('userId') userId: string, @Req() req: AuthenticatedRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = await this.listFor(req, tenantId, userId);
    reply.header('Content-Disposition', `attachment; filename="aksk-${userId}.json"`);
    json(reply, 200, body);
  }

  /** Removes all of the user's keys in this project at once (there is no single-key delete in SODA). */
  @Delete(':userId')
  async deleteAksk(@Param('tenantId') tenantId: string, @Param('userId') userId: string, @Req() req: AuthenticatedRequest, @Res() reply: FastifyReply): Promise<void> {
    refuseOutsideDelegation(req.principal, tenantId, 'Credential');
    await this.keys.deleteAll(this.caller(req), 'lintel:soda:delete_aksk', userId, tenantId);
    json(reply, 200, {});
  }

  private async listFor(req: AuthenticatedRequest, tenantId: string, userId: string) {
    const keys = await this.keys.list(this.caller(req), 'lintel:soda:get_aksk', { ownerId: userId, projectId: tenantId }, { ownerId: userId, projectId: tenantId, member: true });
    return keys.map((c) => this.render(c));
  }

  private caller(req: AuthenticatedRequest) {
    return this.callers.token(req.principal, { address: req.ip, requestId: String(req.id) });
  }

  private render(c: Credential) {
    const blob = JSON.parse(c.blob) as { access: string; secret?: string };
    return { project_id: c.projectId, user_id: c.userId, type: c.type, blob: { access_key: blob.access, secret_key: blob.secret } };
  }
}
