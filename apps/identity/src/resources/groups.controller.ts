import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { PolicyFacts, scopedDomain } from '@lintel/auth';
import { DEFAULT_DOMAIN_ID, GroupService, IdentityService, NotFoundError, ResourceService, type GroupEntity, type UserEntity } from '@lintel/domain';
import { queryPick } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { keystoneCaller, KeystonePolicy } from '../keystone-caller.js';
import { renderUser } from '../render.js';
import { groupTarget, userTarget } from '../targets.js';
import { textMatches } from './list-filters.js';
import { listBody, pageRequest } from './pagination.js';
import { extrasOf } from '../request-schema.js';
import { GROUP_CREATE, GROUP_UPDATE } from './resource-bodies.js';

export function renderGroup(g: GroupEntity, base: string) {
  return { ...(g.extra ?? {}), id: g.id, name: g.name, domain_id: g.domainId, description: g.description ?? '', links: { self: `${base}/v3/groups/${g.id}` } };
}

/** `/v3/groups`, membership, and `/v3/users/{id}/groups` (Keystone's groups API). */
@Controller('v3')
export class GroupsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly groups: GroupService,
    private readonly identity: IdentityService,
    private readonly resources: ResourceService,
    private readonly authz: KeystonePolicy,
    private readonly facts: PolicyFacts,
  ) {}

  @Get('groups')
  async listGroups(@Query() q: Record<string, unknown>, @Req() req: FastifyRequest) {
    const only = scopedDomain(keystoneCaller(req));
    this.authz.enforce(req, 'identity:list_groups', { target: only ? { group: { domain_id: only } } : undefined, filters: queryPick(q, ['domain_id', 'name']) });
    const asked = (typeof q.domain_id === 'string' ? q.domain_id : undefined) ?? only;
    const base = baseUrl(req, this.cfg);
    const match = textMatches(q, ['name', 'domain_id']);
    const page = pageRequest(q, this.cfg, 'identity');
    const groups = only && asked !== only ? { items: [], truncated: false } : await this.groups.list({ name: typeof q.name === 'string' ? q.name : undefined, domainId: asked, match }, page);
    return listBody('groups', groups, groups.items.map((g) => renderGroup(g, base)), req, this.cfg, page);
  }

  @Post('groups')
  async createGroup(@Body() body: unknown, @Req() req: FastifyRequest) {
    // Keystone's order: `name` required, the policy, `domain_id`, the domain, the rest.
    const asked = GROUP_CREATE.check(body, { until: 'domain_id' });
    this.authz.enforce(req, 'identity:create_group', { target: { group: asked } });
    const domainId = GROUP_CREATE.check(body, { until: 'name' }).domain_id ?? scopedDomain(keystoneCaller(req)) ?? DEFAULT_DOMAIN_ID;
    if (!(await this.resources.getDomain(domainId))) throw new NotFoundError('domain', domainId);
    const b = GROUP_CREATE.check(body);
    const g = await this.groups.create({ name: b.name, domainId, description: b.description, extra: extrasOf(b, GROUP_CREATE) });
    return { group: renderGroup(g, baseUrl(req, this.cfg)) };
  }

  @Get('groups/:id')
  async getGroup(@Param('id') id: string, @Req() req: FastifyRequest) {
    await this.authorize(req, 'identity:get_group', id);
    return { group: renderGroup(await this.load(id), baseUrl(req, this.cfg)) };
  }

  @Patch('groups/:id')
  async updateGroup(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    GROUP_UPDATE.check(body, { until: 'minProperties' });
    if (!(await this.authorize(req, 'identity:update_group', id))) throw new NotFoundError('group', id);
    const b = GROUP_UPDATE.check(body, { id });
    const g = await this.groups.update(id, { name: b.name, description: b.description, extra: extrasOf(b, GROUP_UPDATE) });
    return { group: renderGroup(g, baseUrl(req, this.cfg)) };
  }

  @Delete('groups/:id')
  @HttpCode(204)
  async deleteGroup(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    await this.authorize(req, 'identity:delete_group', id);
    await this.groups.delete(id);
  }

  /** A domain-scoped token sees the members of its own domain only (as Keystone). */
  @Get('groups/:id/users')
  async listUsersInGroup(@Param('id') id: string, @Query() q: Record<string, unknown>, @Req() req: FastifyRequest) {
    const caller = await this.authorize(req, 'identity:list_users_in_group', id, queryPick(q, ['domain_id', 'enabled', 'name', 'password_expires_at']));
    await this.load(id);
    const only = scopedDomain(caller);
    const base = baseUrl(req, this.cfg);
    const page = pageRequest(q, this.cfg, 'identity');
    const users = await this.groups.usersOf(id, page, only);
    const expiries = await this.identity.passwordExpiries(users.items.map((u) => u.id));
    return listBody('users', users, users.items.map((u) => renderUser(u, expiries.get(u.id) ?? null, base)), req, this.cfg, page);
  }

  @Put('groups/:id/users/:userId')
  @HttpCode(204)
  async addUserToGroup(@Param('id') id: string, @Param('userId') userId: string, @Req() req: FastifyRequest): Promise<void> {
    await this.authorizeMembership(req, 'identity:add_user_to_group', id, userId);
    await this.groups.addUser(id, userId);
  }

  /** GET and HEAD: 204 when a member, else 404. */
  @Get('groups/:id/users/:userId')
  @HttpCode(204)
  async checkUserInGroup(@Param('id') id: string, @Param('userId') userId: string, @Req() req: FastifyRequest): Promise<void> {
    await this.authorizeMembership(req, 'identity:check_user_in_group', id, userId);
    if (!(await this.groups.isMember(id, userId))) throw new NotFoundError('user', `${userId} in group ${id}`);
  }

  @Delete('groups/:id/users/:userId')
  @HttpCode(204)
  async removeUserFromGroup(@Param('id') id: string, @Param('userId') userId: string, @Req() req: FastifyRequest): Promise<void> {
    await this.authorizeMembership(req, 'identity:remove_user_from_group', id, userId);
    await this.groups.removeUser(id, userId);
  }

  /** A domain-scoped token sees the groups of its own domain only (as Keystone). */
  @Get('users/:userId/groups')
  async listUserGroups(@Param('userId') userId: string, @Query() q: Record<string, unknown>, @Req() req: FastifyRequest) {
    const u = await this.identity.getUser(userId);
    const caller = this.authz.enforce(req, 'identity:list_groups_for_user', { args: { user_id: userId }, target: u ? { user: userTarget(u) } : {}, filters: queryPick(q, ['name']) });
    if (!u) throw new NotFoundError('user', userId);
    const only = scopedDomain(caller);
    const base = baseUrl(req, this.cfg);
    const groups = (await this.groups.groupsOf(userId)).filter((g) => !only || g.domainId === only);
    return { groups: groups.map((g) => renderGroup(g, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  /** Keystone's order: the stored group is the target (none when missing), then the policy; the 404 comes after. */
  private async authorize(req: FastifyRequest, action: string, id: string, filters?: Record<string, string>) {
    const g = await this.groups.get(id);
    const facts = g ? await this.facts.forAction(action, { group: g }) : undefined;
    return this.authz.enforce(req, action, { args: { group_id: id }, target: g ? { group: groupTarget(g), ...facts } : {}, filters });
  }

  /** Membership routes: the group and the user are the target (each absent when missing), then 404s. */
  private async authorizeMembership(req: FastifyRequest, action: string, id: string, userId: string): Promise<{ group: GroupEntity; user: UserEntity }> {
    const group = await this.groups.get(id);
    const user = await this.identity.getUser(userId);
    const facts = await this.facts.forAction(action, { group, user });
    this.authz.enforce(req, action, {
      args: { group_id: id, user_id: userId },
      target: { ...(group ? { group: groupTarget(group) } : {}), ...(user ? { user: userTarget(user) } : {}), ...facts },
    });
    if (!group) throw new NotFoundError('group', id);
    if (!user) throw new NotFoundError('user', userId);
    return { group, user };
  }

  private async load(id: string): Promise<GroupEntity> {
    const g = await this.groups.get(id);
    if (!g) throw new NotFoundError('group', id);
    return g;
  }
}
