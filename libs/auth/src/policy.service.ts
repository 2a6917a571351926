import { Inject, Injectable, Logger } from '@nestjs/common';
import { isAdminProjectName, LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { AssignmentService, ForbiddenError, ResourceService, type ScopeTarget, type UserEntity } from '@lintel/domain';
import { loadPolicy, type Credentials, type Policy, type PolicyInput } from '@lintel/policy';
import { policyCredentials } from './credentials.js';
import { isEc2Derived, type Principal } from './principal.js';

/** The compiled policy of this process (docs/policy.md), built once from the configuration. */
export const LINTEL_POLICY = Symbol('LINTEL_POLICY');

export const POLICY_PROVIDER = {
  provide: LINTEL_POLICY,
  inject: [LINTEL_CONFIG],
  useFactory: (cfg: LintelConfig): Policy => loadPolicy(cfg.policy),
};

/**
 * Every authorization decision of every dialect: an action name, the caller's credentials and
 * the target the request touches, handed to the policy engine. Nothing else decides who may do
 * what; a refusal is Keystone's 403 naming the action (dialects word it their own way).
 */
@Injectable()
export class PolicyService {
  private readonly logger = new Logger('Policy');

  constructor(
    @Inject(LINTEL_POLICY) readonly policy: Policy,
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly assignments: AssignmentService,
    private readonly resources: ResourceService,
  ) {}

  /**
   * Whether the token's holder may perform `action` on `input`. A token obtained from
   * `/v3/ec2tokens` or `/v3/s3tokens` may do nothing at Lintel itself: it is for the service that
   * exchanged the signature (docs/security.md, "M3"); with it, a leaked signed request would
   * otherwise read and mint keys.
   */
  allows(caller: Principal, action: string, input: PolicyInput = {}): boolean {
    if (isEc2Derived(caller)) {
      this.logger.debug({ action, user_id: caller.userId }, 'policy refused an ec2-derived token');
      return false;
    }
    const ok = this.policy.allows(action, caller.creds, input);
    if (!ok) this.logger.debug({ action, user_id: caller.userId }, 'policy refused');
    return ok;
  }

  /** Throws Keystone's 403 (`You are not authorized to perform the requested action: <action>.`) unless allowed. */
  enforce(caller: Principal, action: string, input: PolicyInput = {}): void {
    if (!this.allows(caller, action, input)) throw new ForbiddenError(action);
  }

  /** Whether the rule of `action` looks at any target attribute under `prefix` (so a costly one is built only when asked for). */
  reads(action: string, prefix: string): boolean {
    return this.policy.reads(action, prefix);
  }

  /**
   * For callers without a token scope (the cloud dialects' logins and signed requests): the rule
   * is evaluated with the user's roles on each of `scopes` in turn and passes when any does.
   */
  async allowsOnAnyScope(user: UserEntity, scopes: readonly ScopeTarget[], action: string, input: PolicyInput = {}): Promise<boolean> {
    for (const scope of scopes) {
      if (this.policy.allows(action, await this.credentialsOn(user, scope), input)) return true;
    }
    this.logger.debug({ action, user_id: user.id }, 'policy refused on every scope');
    return false;
  }

  /** The credentials of `user` as if holding a token scoped to `scope` (roles held there now). */
  async credentialsOn(user: UserEntity, scope: ScopeTarget): Promise<Credentials> {
    const roles = await this.assignments.effectiveRoles(user.id, scope);
    const project = 'project' in scope ? await this.resources.getProject(scope.project) : null;
    const projectDomain = project ? await this.resources.getDomain(project.domainId) : null;
    return policyCredentials({
      user,
      scope,
      project,
      projectDomain,
      roles,
      isAdminProject: !!project && isAdminProjectName(this.cfg, project.name, projectDomain?.name),
    });
  }
}
