import { AssignmentService, DEFAULT_DOMAIN_ID, IdentityService, ResourceService } from '@lintel/domain';
import { issue, passwordAuth } from './keystone.js';
import type { Harness } from './lintel.js';

/** `[user name, role name, project id or ids]`: a user of the Default domain holding that role there. */
export type PersonaSpec = readonly [string, string, string | readonly string[]];

export interface Personas {
  /** User ids by name. */
  users: Record<string, string>;
  /** A token of each user scoped to their first project (when asked for). */
  tokens: Record<string, string>;
}

/** Projects of the Default domain by name; returns their ids in the same order. */
export async function addProjects(h: Harness, ...names: string[]): Promise<string[]> {
  const resources = h.get(ResourceService);
  const ids: string[] = [];
  for (const name of names) ids.push((await resources.createProject({ name, domainId: DEFAULT_DOMAIN_ID })).id);
  return ids;
}

/** Creates the users with `password`, grants their roles and, with `tokens`, issues each a project token. */
export async function addPersonas(h: Harness, specs: readonly PersonaSpec[], password: string, o: { tokens?: boolean } = {}): Promise<Personas> {
  const identity = h.get(IdentityService);
  const assignments = h.get(AssignmentService);
  const out: Personas = { users: {}, tokens: {} };
  for (const [name, roleName, where] of specs) {
    const projects = typeof where === 'string' ? [where] : where;
    const userId = (await identity.createUser({ name, domainId: DEFAULT_DOMAIN_ID, password })).id;
    out.users[name] = userId;
    const roleId = (await assignments.findGlobalRole(roleName))!.id;
    for (const targetId of projects) await assignments.grant({ type: 'UserProject', actorId: userId, targetId, roleId });
    if (o.tokens) out.tokens[name] = (await issue(h.url, passwordAuth({ name }, password, { project: { id: projects[0] } }))).id;
  }
  return out;
}
