import { Injectable } from '@nestjs/common';
import { DEFAULT_DOMAIN_ID, SYSTEM_TARGET_ID } from '../ids.js';
import { PasswordHasher } from '../password-hasher.js';
import { AssignmentService } from './assignment.service.js';
import { CatalogService } from './catalog.service.js';
import { IdentityService } from './identity.service.js';
import { ResourceService } from './resource.service.js';

export interface BootstrapOptions {
  /** Required when the admin user does not exist yet; when given for an existing admin, enforced. */
  adminPassword?: string;
  adminUserName?: string;
  adminProjectName?: string;
  regionId?: string;
  /** Identity endpoint URL for the catalog, e.g. `http://127.0.0.1:5000/v3/`. */
  identityUrl: string;
  /** Multicloud endpoint URL for the catalog, e.g. `http://127.0.0.1:8089/v1/$(project_id)s`. */
  multicloudUrl: string;
}

export interface BootstrapResult {
  adminUserId: string;
  adminProjectId: string;
  created: string[];
}

/**
 * Role names bootstrap creates, immutable as Keystone's bootstrap makes them (an existing
 * database got the option from migration 1766100000000), and the chain of implications between
 * them (Keystone's defaults).
 */
export const DEFAULT_ROLES = ['admin', 'manager', 'member', 'reader', 'service'] as const;
const IMPLICATIONS: Array<[string, string]> = [['admin', 'manager'], ['manager', 'member'], ['member', 'reader']];

/**
 * `keystone-manage bootstrap` for Lintel. Idempotent: every run converges on the same state and
 * leaves what already exists alone, except an admin password that no longer verifies, which is reset.
 */
@Injectable()
export class BootstrapService {
  constructor(
    private readonly resources: ResourceService,
    private readonly identity: IdentityService,
    private readonly assignments: AssignmentService,
    private readonly catalog: CatalogService,
    private readonly hasher: PasswordHasher,
  ) {}

  async bootstrap(o: BootstrapOptions): Promise<BootstrapResult> {
    const created: string[] = [];
    if (!(await this.resources.getDomain(DEFAULT_DOMAIN_ID))) {
      await this.resources.createDomain({ id: DEFAULT_DOMAIN_ID, name: 'Default', description: 'The default domain' });
      created.push('domain Default');
    }
    const roles: Record<string, string> = {};
    for (const name of DEFAULT_ROLES) {
      const role = (await this.assignments.findGlobalRole(name)) ?? (created.push(`role ${name}`), await this.assignments.createRole({ name, options: { immutable: true } }));
      roles[name] = role.id;
    }
    for (const [prior, implied] of IMPLICATIONS) await this.assignments.addImpliedRole(roles[prior]!, roles[implied]!);

    const projectName = o.adminProjectName ?? 'admin';
    const project = (await this.resources.findProjectByName(DEFAULT_DOMAIN_ID, projectName))
      ?? (created.push(`project ${projectName}`), await this.resources.createProject({ name: projectName, domainId: DEFAULT_DOMAIN_ID, description: 'Bootstrap project for initializing the cloud.' }));

    const userName = o.adminUserName ?? 'admin';
    let user = await this.identity.findUserByName(DEFAULT_DOMAIN_ID, userName);
    if (!user) {
      if (o.adminPassword === undefined) throw new Error('bootstrap needs an admin password to create the admin user');
      // The operator's own account must not be locked out by a first-use policy it just turned on.
      user = await this.identity.createUser({ name: userName, domainId: DEFAULT_DOMAIN_ID, password: o.adminPassword, options: { ignore_change_password_upon_first_use: true } });
      created.push(`user ${userName}`);
    } else if (o.adminPassword !== undefined) {
      const current = await this.identity.currentPassword(user.id);
      if (!current || !(await this.hasher.verify(o.adminPassword, current.passwordHash))) {
        await this.identity.setPassword(user.id, o.adminPassword);
        created.push(`password of ${userName} reset`);
      }
    }
    if (!user.enabled) await this.identity.setUserEnabled(user.id, true);
    await this.assignments.grant({ type: 'UserProject', actorId: user.id, targetId: project.id, roleId: roles.admin! });
    await this.assignments.grant({ type: 'UserSystem', actorId: user.id, targetId: SYSTEM_TARGET_ID, roleId: roles.admin! });

    const region = o.regionId ?? 'RegionOne';
    await this.catalog.ensureRegion(region);
    const services: Array<[string, string, string, string]> = [
      ['identity', 'keystone', 'Identity Service', o.identityUrl],
      ['multicloud', 'multicloud', 'SODA multicloud access keys', o.multicloudUrl],
    ];
    for (const [type, name, description, url] of services) {
      const svc = (await this.catalog.findServiceByType(type)) ?? (created.push(`service ${name}`), await this.catalog.createService({ type, name, description }));
      for (const iface of ['public', 'internal', 'admin'] as const) await this.catalog.ensureEndpoint(svc.id, iface, url, region);
    }
    return { adminUserId: user.id, adminProjectId: project.id, created };
  }
}
