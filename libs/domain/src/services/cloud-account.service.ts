import { Inject, Injectable } from '@nestjs/common';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import type { ProjectEntity, UserEntity } from '../entities/index.js';
import { DomainError } from '../errors.js';
import { DEFAULT_DOMAIN_ID } from '../ids.js';
import { AssignmentService } from './assignment.service.js';
import { IdentityService } from './identity.service.js';
import { ResourceService } from './resource.service.js';

/** The user holds no role on a project that could own their access keys. */
export class NoHomeProjectError extends DomainError {
  constructor(userId: string) {
    super('Conflict', 'The user holds no role on a project that could own access keys; set the user\'s default project.', `user ${userId} has no home project`);
  }
}

/**
 * How the cloud dialects (Edgio, Outscale, Alibaba) see Lintel's users: a login name maps to a
 * user, and a user has a home project that owns the keys issued for them (docs/access-keys.md).
 */
@Injectable()
export class CloudAccountService {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly identity: IdentityService,
    private readonly resources: ResourceService,
    private readonly assignments: AssignmentService,
  ) {}

  /**
   * A login name as the clouds' tools send it, resolved to one user whatever other users are
   * called (docs/security.md, "Login names"): `name@D`, split at the last `@`, is user `name` of
   * the domain named D whenever a domain has that name, and nothing else; any other login is a
   * user name in `domainId` (domain Default unless given). A Default user whose own name is
   * `x@D` is therefore reached as `x@D@Default`; a look-alike never shadows D's user `x`.
   */
  async findUserByLogin(login: string, domainId = DEFAULT_DOMAIN_ID): Promise<UserEntity | null> {
    if (!login || login.length > 512) return null;
    const at = login.lastIndexOf('@');
    if (at > 0 && at < login.length - 1) {
      const domain = await this.resources.findDomainByName(login.slice(at + 1));
      if (domain) return this.identity.findUserByName(domain.id, login.slice(0, at));
    }
    return this.identity.findUserByName(domainId, login);
  }

  /** The user and their domain are enabled. */
  async isActive(user: UserEntity): Promise<boolean> {
    return user.enabled && !!(await this.resources.getDomain(user.domainId))?.enabled;
  }

  /**
   * The project that owns keys issued to the user through a cloud dialect: the default project
   * when the user holds a role there, else the only project the user holds a role on.
   */
  async homeProject(user: UserEntity): Promise<ProjectEntity | null> {
    if (user.defaultProjectId) {
      const p = await this.resources.getProject(user.defaultProjectId);
      if (p?.enabled && (await this.assignments.effectiveRoles(user.id, { project: p.id })).length) return p;
    }
    const projects = (await this.assignments.projectsOfUser(user.id)).items.filter((p) => p.enabled);
    return projects.length === 1 ? projects[0]! : null;
  }
}
