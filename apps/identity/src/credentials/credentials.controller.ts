import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { policy, type Principal } from '@lintel/auth';
import { CredentialService, ForbiddenError, NotFoundError, type Credential } from '@lintel/domain';
import { baseUrl, selfUrl } from '../base-url.js';
import { keystoneCaller } from '../keystone-caller.js';
import { parseCreateCredential, parsePatchCredential } from './credential-body.js';
import { renderCredential } from './credential.render.js';

type Req_ = FastifyRequest & { principal: Principal };

/** Admin, system reader or owner may read; admin or owner may write (Keystone's default policy). */
const mayRead = (p: Principal, c: { userId: string }) => policy.isAdmin(p) || policy.isSystemReader(p) || p.userId === c.userId;
const mayWrite = (p: Principal, c: { userId: string }) => policy.isAdmin(p) || p.userId === c.userId;

/** `/v3/credentials` (contract §4), on the shared credential store. */
@Controller('v3/credentials')
export class CredentialsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly credentials: CredentialService,
  ) {}

  @Post()
  async createCredential(@Body() body: unknown, @Req() req: Req_) {
    const caller = keystoneCaller(req);
    const input = parseCreateCredential(body);
    if (!mayWrite(caller, input)) throw new ForbiddenError('identity:create_credential');
    const c = await this.credentials.create({ ...input, issuer: 'keystone' });
    return { credential: renderCredential(c, baseUrl(req, this.cfg)) };
  }

  /** Filtered per item, never refused (CVE-2019-19687): non-admins see only their own. */
  @Get()
  async listCredentials(@Query() q: Record<string, unknown>, @Req() req: Req_) {
    const caller = keystoneCaller(req);
    const filter = { userId: typeof q.user_id === 'string' ? q.user_id : undefined, type: typeof q.type === 'string' ? q.type : undefined };
    const all = await this.credentials.list(filter);
    const base = baseUrl(req, this.cfg);
    return {
      credentials: all.filter((c) => mayRead(caller, c)).map((c) => renderCredential(c, base)),
      links: { self: selfUrl(req, this.cfg), previous: null, next: null },
    };
  }

  @Get(':id')
  async getCredential(@Param('id') id: string, @Req() req: Req_) {
    const caller = keystoneCaller(req);
    const c = await this.load(id);
    if (!mayRead(caller, c)) throw new ForbiddenError('identity:get_credential');
    return { credential: renderCredential(c, baseUrl(req, this.cfg)) };
  }

  /** Authorised against the stored and the merged credential, so nobody re-owns one (CVE-2020-12691). */
  @Patch(':id')
  async updateCredential(@Param('id') id: string, @Body() body: unknown, @Req() req: Req_) {
    const caller = keystoneCaller(req);
    const patch = parsePatchCredential(body, id);
    const c = await this.credentials.update(id, patch, (current, merged) => {
      if (!mayWrite(caller, current) || !mayWrite(caller, merged)) throw new ForbiddenError('identity:update_credential');
    });
    return { credential: renderCredential(c, baseUrl(req, this.cfg)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async deleteCredential(@Param('id') id: string, @Req() req: Req_): Promise<void> {
    const caller = keystoneCaller(req);
    const c = await this.load(id);
    if (!mayWrite(caller, c)) throw new ForbiddenError('identity:delete_credential');
    await this.credentials.delete(id);
  }

  private async load(id: string): Promise<Credential> {
    const c = await this.credentials.get(id);
    if (!c) throw new NotFoundError('credential', id);
    return c;
  }
}
