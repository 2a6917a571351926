import { Injectable } from '@nestjs/common';
import {
  AssignmentService, DomainError, ForbiddenError, IdentityService, NotFoundError, ResourceService, TrustService, UnauthenticatedError,
  type DomainEntity, type ProjectEntity, type RoleEntity, type ScopeTarget, type Trust, type UserEntity,
} from '@lintel/domain';
import type { TokenClaims } from './token-claims.js';

/** What a trust-scoped token shows of its trust (`OS-TRUST:trust` of the token body). */
export interface TrustView {
  trust: Trust;
  trustor: UserEntity;
  trustee: UserEntity;
}

/** The parts of a token's view a trust decides (TokenService's derive, for a trust-scoped token). */
export interface TrustDerived {
  /** The trustor when the trust impersonates, else the trustee (the token's holder). */
  user: UserEntity;
  userDomain: DomainEntity;
  passwordExpiresAt: Date | null;
  project?: ProjectEntity;
  projectDomain?: DomainEntity;
  roles: RoleEntity[];
  trust: TrustView;
}

/** Keystone's text when a trust-scoped token is offered to the `token` method. */
export const TRUST_TOKEN_RESCOPE = 'Using trust-scoped token to create another token. Create a new trust-scoped token instead';

/**
 * Keystone raises these as `Forbidden`, a security error: the client sees the generic text, the
 * log the reason.
 */
const forbidden = (reason: string) => new DomainError('Forbidden', 'You are not authorized to perform the requested action.', reason);
const tokenNotFound = (msg = 'Failed to validate token') => new DomainError('NotFound', msg);

/**
 * Trust-scoped tokens (OS-TRUST, docs/keystone-trusts.md): the `OS-TRUST:trust` scope of a
 * token request, and what such a token carries each time it is issued or validated. The rules
 * are Keystone's: only the trustee gets one; it is scoped to the trust's project with the
 * trust's roles (and the roles they imply) that the trustor still holds there, global ones only;
 * with impersonation it shows the trustor as its user. A deleted, expired or used-up trust, a
 * disabled trustor or a role the trustor no longer holds makes the token unusable.
 */
@Injectable()
export class TrustScope {
  constructor(
    private readonly trusts: TrustService,
    private readonly identity: IdentityService,
    private readonly resources: ResourceService,
    private readonly assignments: AssignmentService,
  ) {}

  /**
   * The `OS-TRUST:trust` scope of a token request: the trust must be usable (else the request is
   * unauthenticated, as Keystone turns TrustNotFound into a 401) and its project enabled.
   */
  async lookup(trustId: string): Promise<{ trust: Trust; scope: ScopeTarget | undefined }> {
    const trust = await this.trusts.get(trustId).catch((e) => {
      if (e instanceof DomainError && e.code === 'NotFound') throw new UnauthenticatedError(`trust ${trustId}: ${e.message}`);
      throw e;
    });
    if (trust.projectId === null) return { trust, scope: undefined };
    const project = await this.resources.getProject(trust.projectId);
    if (!project?.enabled || !(await this.resources.getDomain(project.domainId))?.enabled) {
      throw new UnauthenticatedError(`trust ${trustId}: project ${trust.projectId} unknown or disabled`);
    }
    return { trust, scope: { project: project.id } };
  }

  /** A trust-scoped token cannot be exchanged for another token (Keystone's 403). */
  refuseAsSource(source: TokenClaims): void {
    if (source.trustId) throw new ForbiddenError(TRUST_TOKEN_RESCOPE);
  }

  /** Uses the trust once (after every other check of a token request). */
  consume(trustId: string): Promise<void> {
    return this.trusts.consumeUse(trustId).catch((e) => {
      if (e instanceof DomainError && e.code === 'NotFound') throw new UnauthenticatedError(`trust ${trustId}: ${e.message}`);
      throw e;
    });
  }

  /**
   * Everything a trust-scoped token shows, checked as Keystone checks it whenever such a token is
   * minted or validated: the trust still findable (404 naming it), the holder its trustee (403),
   * trustor and trustee and their domains enabled (403 / 404), the project and its domain
   * enabled (404), and every role of the trust, with those it implies, still held by the
   * original trustor on the project (403). With `strict` (validation), a disabled holder is a 404;
   * without (issue), a trust no longer found is a 401.
   */
  async derive(claims: TokenClaims, strict: boolean): Promise<TrustDerived> {
    // While issuing (not strict), a trust gone meanwhile is Keystone's 401, as at lookup.
    const trust = strict ? await this.trusts.get(claims.trustId!) : (await this.lookup(claims.trustId!)).trust;
    const trustee = await this.identity.getUser(trust.trusteeUserId);
    if (!trustee) throw new NotFoundError('user', trust.trusteeUserId);
    const trustor = await this.identity.getUser(trust.trustorUserId);
    if (!trustor) throw new NotFoundError('user', trust.trustorUserId);
    if (claims.userId !== trustee.id) throw forbidden('User is not a trustee.');
    const trustorDomain = await this.resources.getDomain(trustor.domainId);
    if (!trustorDomain?.enabled) throw tokenNotFound('Trustor domain is disabled.');
    const trusteeDomain = await this.resources.getDomain(trustee.domainId);
    if (!trusteeDomain?.enabled) throw tokenNotFound('Trustee domain is disabled.');
    if (!trustor.enabled) throw forbidden('Trustor is disabled.');
    if (strict && !trustee.enabled) throw tokenNotFound();

    const derived: TrustDerived = {
      user: trust.impersonation ? trustor : trustee,
      userDomain: trust.impersonation ? trustorDomain : trusteeDomain,
      passwordExpiresAt: (await this.identity.currentPassword(trust.impersonation ? trustor.id : trustee.id))?.expiresAt ?? null,
      roles: [],
      trust: { trust, trustor, trustee },
    };
    // Keystone looks the trust's project up by id even when there is none ("None").
    if (trust.projectId === null) throw new NotFoundError('project', 'None');
    const project = await this.resources.getProject(trust.projectId);
    if (!project) throw new NotFoundError('project', trust.projectId);
    const projectDomain = await this.resources.getDomain(project.domainId);
    if (!project.enabled) throw tokenNotFound(`Unable to validate token because project ${project.id} is disabled`);
    if (!projectDomain?.enabled) throw tokenNotFound(`Unable to validate token because domain ${project.domainId} is disabled`);
    derived.project = project;
    derived.projectDomain = projectDomain;

    const delegated = await this.trusts.withImplied(trust.roleIds);
    // The trustor whose roles the trust hands on: the first of the chain for a redelegated trust,
    // and the trust's own trustor must hold them too (both of Keystone's checks).
    const trustors = new Set([trust.trustorUserId]);
    if (trust.redelegatedTrustId) trustors.add((await this.trusts.pedigree(trust)).at(-1)!.trustorUserId);
    for (const trustorId of trustors) {
      const held = new Set((await this.assignments.effectiveRoles(trustorId, { project: project.id }, { withDomainRoles: true })).map((r) => r.id));
      for (const roleId of delegated) if (!held.has(roleId)) throw forbidden('Trustee has no delegated roles.');
    }
    derived.roles = await this.trusts.globalRoles(delegated);
    return derived;
  }
}
