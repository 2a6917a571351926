import { policy, type Principal } from '@lintel/auth';
import type { LintelConfig } from '@lintel/config';
import { ForbiddenError, type AssignmentService, type ResourceService } from '@lintel/domain';

/** True when a project of that name in that domain is (or would be) the cloud's admin project. */
export async function isAdminProject(cfg: LintelConfig, resources: ResourceService, name: string, domainId: string): Promise<boolean> {
  return name === cfg.adminProject.name && (await resources.getDomain(domainId))?.name === cfg.adminProject.domainName;
}

/**
 * What a caller may do with identity data under Keystone's default personas: cloud administrators
 * and system readers see everything; a domain-scoped `admin` manages, and a domain `reader`
 * reads, only inside that domain; nobody else reads more than themselves.
 */
export class Access {
  constructor(readonly p: Principal) {}

  get cloudAdmin(): boolean {
    return policy.isAdmin(this.p);
  }

  get cloudReader(): boolean {
    return this.cloudAdmin || policy.isSystemReader(this.p);
  }

  manages(domainId: string): boolean {
    return this.cloudAdmin || policy.domainAdminOf(this.p) === domainId;
  }

  reads(domainId: string): boolean {
    return this.cloudReader || policy.domainReaderOf(this.p) === domainId;
  }

  /** For lists: undefined = every domain; a domain id = only that one. Refused otherwise. */
  listScope(action: string): string | undefined {
    if (this.cloudReader) return undefined;
    const d = policy.domainReaderOf(this.p);
    if (!d) throw new ForbiddenError(action);
    return d;
  }

  require(allowed: boolean, action: string): void {
    if (!allowed) throw new ForbiddenError(action);
  }

  /**
   * A domain administrator manages a user or group of its domain only while that actor holds no
   * grant elsewhere (the system, another domain or its projects): taking it over, by a password
   * reset or a membership change, would hand the administrator those grants.
   */
  async requireConfined(assignments: AssignmentService, actorIds: string[], domainId: string, action: string): Promise<void> {
    this.require(this.manages(domainId), action);
    if (!this.cloudAdmin && (await assignments.holdsGrantsOutside(actorIds, domainId))) throw new ForbiddenError(action);
  }
}
