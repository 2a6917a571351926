import { Inject, Injectable } from '@nestjs/common';
import { isAdminProjectName, LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { AssignmentService, ResourceService, type GroupEntity, type ProjectEntity, type UserEntity } from '@lintel/domain';
import type { Policy } from '@lintel/policy';
import { LINTEL_POLICY } from './policy.service.js';

/** What a request touches, for the facts about it. */
export interface FactSubjects {
  readonly user?: UserEntity | null;
  readonly group?: GroupEntity | null;
  readonly project?: Pick<ProjectEntity, 'name' | 'domainId'> | null;
  /** A user name being given (created or renamed) in a domain. */
  readonly userName?: { readonly name: string | undefined; readonly domainId: string };
}

const PREFIX = 'target.lintel.';

/**
 * Facts Lintel computes about a target for rules that ask for them (`target.lintel.*`,
 * docs/policy.md "Facts"): none is in Keystone's defaults, so none is computed unless the
 * operator's policy reads it. They let a policy file confine a domain manager to its domain
 * (the strict posture in deploy/policy/). Each is true or false, never settable by a client.
 */
@Injectable()
export class PolicyFacts {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    @Inject(LINTEL_POLICY) private readonly policy: Policy,
    private readonly assignments: AssignmentService,
    private readonly resources: ResourceService,
  ) {}

  /**
   * The facts `action`'s rule reads, about what the request touches (`{ lintel: {...} }` to
   * merge into the target), or undefined when it reads none: nothing is computed then.
   */
  async forAction(action: string, about: FactSubjects): Promise<{ lintel: Record<string, boolean> } | undefined> {
    const wanted = [...this.policy.targetKeysOf(action)].filter((k) => k.startsWith(PREFIX)).map((k) => k.slice(PREFIX.length));
    if (!wanted.length) return undefined;
    const lintel: Record<string, boolean> = {};
    // Every fact a rule reads is present, so a rule never meets a missing key (which would make
    // `not True:...` pass): about nothing, a fact is false.
    for (const fact of wanted) {
      if (fact === 'user_confined') lintel[fact] = about.user ? await this.userConfined(about.user) : false;
      else if (fact === 'group_confined') lintel[fact] = about.group ? await this.groupConfined(about.group) : false;
      else if (fact === 'project_is_admin_project') lintel[fact] = about.project ? await this.isAdminProject(about.project) : false;
      else if (fact === 'name_shadows_login') lintel[fact] = about.userName ? await this.nameShadowsLogin(about.userName.name, about.userName.domainId) : false;
    }
    return { lintel };
  }

  /** `user_confined`: the user and its groups hold roles only in its own domain, none on the admin project or the system. */
  async userConfined(user: UserEntity): Promise<boolean> {
    return !(await this.assignments.holdsGrantsBeyond(await this.assignments.actorsOf(user.id), user.domainId, await this.adminProjectIds()));
  }

  /** `group_confined`: likewise for a group's own grants (joining it hands them over). */
  async groupConfined(group: GroupEntity): Promise<boolean> {
    return !(await this.assignments.holdsGrantsBeyond([group.id], group.domainId, await this.adminProjectIds()));
  }

  /** `project_is_admin_project`: the project is the cloud's admin project (LINTEL_ADMIN_PROJECT_*). */
  isAdminProject(project: Pick<ProjectEntity, 'name' | 'domainId'>): Promise<boolean> {
    return this.isAdminProjectName(project.name, project.domainId);
  }

  /** Whether a project of that name in that domain is, or would be, the admin project. */
  async isAdminProjectName(name: string, domainId: string): Promise<boolean> {
    return name === this.cfg.adminProject.name && isAdminProjectName(this.cfg, name, (await this.resources.getDomain(domainId))?.name);
  }

  /**
   * `name_shadows_login`: a user name `x@D`, in a domain other than D, where D names a domain: a
   * look-alike of the cloud dialects' login `x@D`, which reaches user `x` of domain D (this user
   * answers only to `x@D@<its domain>`: docs/security.md, "Login names").
   */
  async nameShadowsLogin(name: string | undefined, domainId: string): Promise<boolean> {
    if (!name) return false;
    const at = name.lastIndexOf('@');
    if (at <= 0 || at === name.length - 1) return false;
    const other = await this.resources.findDomainByName(name.slice(at + 1));
    return !!other && other.id !== domainId;
  }

  private async adminProjectIds(): Promise<string[]> {
    const domain = await this.resources.findDomainByName(this.cfg.adminProject.domainName);
    const project = domain ? await this.resources.findProjectByName(domain.id, this.cfg.adminProject.name) : null;
    return project ? [project.id] : [];
  }
}
