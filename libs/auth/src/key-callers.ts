import { Injectable } from '@nestjs/common';
import type { KeyCaller, KeyTarget, ScopeTarget, UserEntity } from '@lintel/domain';
import type { PolicyInput } from '@lintel/policy';
import { KeyAuthorityService, type KeyAuthority } from './key-authority.service.js';
import { PolicyFacts } from './policy-facts.js';
import { PolicyService } from './policy.service.js';
import { scopedProject, type Principal } from './principal.js';

/** Where a request came from, for the audit trail. */
export interface RequestOrigin {
  readonly address?: string | null;
  readonly requestId?: string | null;
}

/**
 * The callers of the access-key core (docs/access-keys.md, "Who asks"), each deciding through the
 * policy engine with the credentials it really holds:
 * - {@link token}: a Keystone token (console, SODA): its scope and roles;
 * - {@link key}: a request signed with an access key (Outscale, Alibaba): the key owner's current
 *   roles on the key's own project, as a token scoped there, and nothing more;
 * - {@link login}: a user who has just proved their password (Outscale Basic, Edgio sessions),
 *   unscoped: judged as if holding a token on each scope the target lives in (the system, the
 *   owner's domain, the keys' project), allowed when any passes.
 * The target a rule sees is `target.user` (`id`, `name`, `domain_id`: the keys' owner) and
 * `target.project.id` (the keys' project), plus the facts the rule reads.
 */
@Injectable()
export class KeyCallers {
  constructor(
    private readonly policy: PolicyService,
    private readonly facts: PolicyFacts,
    private readonly authority: KeyAuthorityService,
  ) {}

  token(p: Principal, origin: RequestOrigin = {}): KeyCaller {
    return {
      userId: p.userId, projectId: scopedProject(p) ?? null, appCredId: p.claims.appCredId ?? null, ...origin,
      may: async (action, t) => this.policy.allows(p, action, await this.input(action, t)),
    };
  }

  key(a: KeyAuthority, origin: RequestOrigin = {}): KeyCaller {
    return {
      userId: a.key.userId, projectId: a.projectId, appCredId: a.appCredId ?? null, ...origin,
      may: async (action, t) => this.policy.policy.allows(action, this.authority.credentialsOf(a), await this.input(action, t)),
    };
  }

  login(user: UserEntity, origin: RequestOrigin = {}): KeyCaller {
    return {
      userId: user.id, projectId: null, ...origin,
      may: async (action, t) => {
        const scopes: ScopeTarget[] = [{ system: true }];
        if (t.owner) scopes.push({ domain: t.owner.domainId });
        if (t.projectId) scopes.push({ project: t.projectId });
        return this.policy.allowsOnAnyScope(user, scopes, action, await this.input(action, t));
      },
    };
  }

  private async input(action: string, t: KeyTarget): Promise<PolicyInput> {
    const user = t.owner ? { id: t.owner.id, name: t.owner.name, domain_id: t.owner.domainId } : { id: t.ownerId };
    return {
      args: { user_id: t.ownerId, ...(t.projectId ? { project_id: t.projectId } : {}) },
      target: { user, ...(t.projectId ? { project: { id: t.projectId } } : {}), ...(await this.facts.forAction(action, { user: t.owner })) },
    };
  }
}
