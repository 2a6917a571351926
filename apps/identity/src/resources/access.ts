import { policy, type Principal } from '@lintel/auth';
import { ForbiddenError } from '@lintel/domain';

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
}
