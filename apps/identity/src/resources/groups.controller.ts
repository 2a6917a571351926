import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { policy } from '@lintel/auth';
import { AssignmentService, DEFAULT_DOMAIN_ID, ForbiddenError, GroupService, IdentityService, NotFoundError, ResourceService, type GroupEntity } from '@lintel/domain';
import { baseUrl, selfUrl } from '../base-url.js';
import { keystoneCaller } from '../keystone-caller.js';
import { renderUser } from '../render.js';
import { ResourceBody } from './resource-body.js';
import { Access } from './access.js';

export function renderGroup(g: GroupEntity, base: string) {
  return { ...(g.extra ?? {}), id: g.id, name: g.name, domain_id: g.domainId, description: g.description ?? '', links: { self: `${base}/v3/groups/${g.id}` } };
}

const GROUP_FIELDS = ['name', 'domain_id', 'description'];

/** `/v3/groups`, membership, and `/v3/users/{id}/groups` (Keystone's groups API). */
@Controller('v3')
export class GroupsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly groups: GroupService,
    private readonly identity: IdentityService,
    private readonly resources: ResourceService,
    private readonly assignments: AssignmentService,
  ) {}

  @Get('groups')
  async listGroups(@Query() q: Record<string, unknown>, @Req() req: FastifyRequest) {
    const only = new Access(keystoneCaller(req)).listScope('identity:list_groups');
    const asked = typeof q.domain_id === 'string' ? q.domain_id : undefined;
    const base = baseUrl(req, this.cfg);
    const groups = only && asked && asked !== only ? [] : await this.groups.list({ name: typeof q.name === 'string' ? q.name : undefined, domainId: only ?? asked });
    return { groups: groups.map((g) => renderGroup(g, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Post('groups')
  async createGroup(@Body() body: unknown, @Req() req: FastifyRequest) {
    const caller = keystoneCaller(req);
    const b = ResourceBody.of(body, 'group', GROUP_FIELDS);
    b.required('name');
    const scoped = caller.scope && 'domain' in caller.scope ? caller.scope.domain : undefined;
    const domainId = b.str('domain_id', { max: 64 }) ?? scoped ?? DEFAULT_DOMAIN_ID;
    new Access(caller).require(new Access(caller).manages(domainId), 'identity:create_group');
    if (!(await this.resources.getDomain(domainId))) throw new NotFoundError('domain', domainId);
    const g = await this.groups.create({ name: b.str('name')!, domainId, description: b.str('description', { max: 65535, nullable: true }), extra: b.extras() });
    return { group: renderGroup(g, baseUrl(req, this.cfg)) };
  }

  @Get('groups/:id')
  async getGroup(@Param('id') id: string, @Req() req: FastifyRequest) {
    const g = await this.load(id);
    new Access(keystoneCaller(req)).require(new Access(keystoneCaller(req)).reads(g.domainId), 'identity:get_group');
    return { group: renderGroup(g, baseUrl(req, this.cfg)) };
  }

  @Patch('groups/:id')
  async updateGroup(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    await this.manage(req, id, 'identity:update_group');
    const b = ResourceBody.of(body, 'group', GROUP_FIELDS);
    b.nonEmpty();
    b.sameId(id);
    const g = await this.groups.update(id, { name: b.str('name') ?? undefined, description: b.has('description') ? b.str('description', { max: 65535, nullable: true }) : undefined, extra: b.extras() });
    return { group: renderGroup(g, baseUrl(req, this.cfg)) };
  }

  @Delete('groups/:id')
  @HttpCode(204)
  async deleteGroup(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    await this.manage(req, id, 'identity:delete_group');
    await this.groups.delete(id);
  }

  @Get('groups/:id/users')
  async listUsersInGroup(@Param('id') id: string, @Req() req: FastifyRequest) {
    const g = await this.load(id);
    new Access(keystoneCaller(req)).require(new Access(keystoneCaller(req)).reads(g.domainId), 'identity:list_users_in_group');
    const base = baseUrl(req, this.cfg);
    const users = await this.groups.usersOf(id);
    const rendered = await Promise.all(users.map(async (u) => renderUser(u, (await this.identity.currentPassword(u.id))?.expiresAt ?? null, base)));
    return { users: rendered, links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Put('groups/:id/users/:userId')
  @HttpCode(204)
  async addUserToGroup(@Param('id') id: string, @Param('userId') userId: string, @Req() req: FastifyRequest): Promise<void> {
    await this.manageMembership(req, id, userId, 'identity:add_user_to_group');
    await this.groups.addUser(id, userId);
  }

  /** GET and HEAD: 204 when a member, else 404. */
  @Get('groups/:id/users/:userId')
  @HttpCode(204)
  async checkUserInGroup(@Param('id') id: string, @Param('userId') userId: string, @Req() req: FastifyRequest): Promise<void> {
    const g = await this.load(id);
    new Access(keystoneCaller(req)).require(new Access(keystoneCaller(req)).reads(g.domainId), 'identity:check_user_in_group');
    if (!(await this.groups.isMember(id, userId))) throw new NotFoundError('user', `${userId} in group ${id}`);
  }

  @Delete('groups/:id/users/:userId')
  @HttpCode(204)
  async removeUserFromGroup(@Param('id') id: string, @Param('userId') userId: string, @Req() req: FastifyRequest): Promise<void> {
    await this.manageMembership(req, id, userId, 'identity:remove_user_from_group');
    await this.groups.removeUser(id, userId);
  }

  @Get('users/:userId/groups')
  async listUserGroups(@Param('userId') userId: string, @Req() req: FastifyRequest) {
    const caller = keystoneCaller(req);
    const u = await this.identity.getUser(userId);
    if (!u) throw new NotFoundError('user', userId);
    new Access(caller).require(new Access(caller).reads(u.domainId) || caller.userId === userId, 'identity:list_groups_for_user');
    const base = baseUrl(req, this.cfg);
    return { groups: (await this.groups.groupsOf(userId)).map((g) => renderGroup(g, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  private async manage(req: FastifyRequest, id: string, action: string): Promise<void> {
    await new Access(keystoneCaller(req)).requireConfined(this.assignments, [id], (await this.load(id)).domainId, action);
  }

  /** Membership changes need management of the group's domain and of the user's. */
  private async manageMembership(req: FastifyRequest, id: string, userId: string, action: string): Promise<void> {
    const access = new Access(keystoneCaller(req));
    const g = await this.load(id);
    const u = await this.identity.getUser(userId);
    if (!u) throw new NotFoundError('user', userId);
    access.require(access.manages(u.domainId), action);
    await access.requireConfined(this.assignments, [id], g.domainId, action);
  }

  private async load(id: string): Promise<GroupEntity> {
    const g = await this.groups.get(id);
    if (!g) throw new NotFoundError('group', id);
    return g;
  }
}
