import { RoleAssignmentEntity, SYSTEM_TARGET_ID, type AssignmentType } from '@lintel/domain';
import { bool, type ImportContext, type Step } from '../context.js';

/**
 * Every kind of grant: `assignment` holds the user and group grants on projects and domains
 * (inherited ones included, OS-INHERIT), `system_assignment` those on the system. Lintel keeps
 * all of them in `role_assignments` with the same types and the same `system` target.
 */
const TYPES = new Set<AssignmentType>(['UserProject', 'UserDomain', 'UserSystem', 'GroupProject', 'GroupDomain', 'GroupSystem']);

/** Why the grant cannot be imported, or undefined when it can. */
function problem(ctx: ImportContext, a: RoleAssignmentEntity): string | undefined {
  if (!TYPES.has(a.type)) return `unknown assignment type ${a.type}`;
  if (!ctx.accepted.roles.has(a.roleId)) return `role ${a.roleId} was not imported`;
  const actor = a.type.startsWith('User') ? ctx.accepted.users : ctx.accepted.groups;
  if (!actor.has(a.actorId)) return `${a.type.startsWith('User') ? 'user' : 'group'} ${a.actorId} was not imported`;
  if (a.type.endsWith('System')) return a.targetId === SYSTEM_TARGET_ID ? undefined : `system target ${a.targetId} is not "${SYSTEM_TARGET_ID}"`;
  const target = a.type.endsWith('Project') ? ctx.accepted.projects : ctx.accepted.domains;
  return target.has(a.targetId) ? undefined : `${a.type.endsWith('Project') ? 'project' : 'domain'} ${a.targetId} was not imported`;
}

export const assignments: Step = {
  name: 'role assignments',
  count: async (ctx) => (await ctx.countRows('assignment')) + (await ctx.countRows('system_assignment')),
  async run(ctx, t) {
    const keyOf = (a: RoleAssignmentEntity) => `${a.type}\n${a.actorId}\n${a.targetId}\n${a.roleId}\n${a.inherited ? 1 : 0}`;
    const have = new Set((await ctx.m.find(RoleAssignmentEntity)).map(keyOf));
    for (const table of ['assignment', 'system_assignment']) {
      if (!(await ctx.hasTable(table))) continue;
      for await (const rows of ctx.pages(`SELECT type, actor_id, target_id, role_id, inherited FROM ${ctx.src.q(table)}`, 'type, actor_id, target_id, role_id, inherited')) {
        const fresh: RoleAssignmentEntity[] = [];
        for (const r of rows) {
          const a: RoleAssignmentEntity = {
            type: String(r.type) as AssignmentType, actorId: String(r.actor_id), targetId: String(r.target_id), roleId: String(r.role_id), inherited: bool(r.inherited, false),
          };
          const why = problem(ctx, a);
          if (why) t.refuse(`${a.type} ${a.actorId} ${a.roleId} ${a.targetId}${a.inherited ? ' (inherited)' : ''}`, why);
          else if (have.has(keyOf(a))) t.count('skipped');
          else {
            have.add(keyOf(a));
            fresh.push(a);
            t.count('created');
          }
        }
        await ctx.insert(RoleAssignmentEntity, fresh);
      }
    }
  },
};
