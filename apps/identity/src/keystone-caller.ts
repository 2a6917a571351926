import type { FastifyRequest } from 'fastify';
import { policy, type Principal } from '@lintel/auth';
import { ForbiddenError } from '@lintel/domain';

/**
 * The caller of a Keystone API route. Tokens derived from EC2 credentials are for other
 * services, not for Keystone's own API (contract §6.5, upstream July 2026): 403.
 */
export function keystoneCaller(req: FastifyRequest): Principal {
  const p = (req as FastifyRequest & { principal: Principal }).principal;
  if (policy.isEc2Derived(p)) throw new ForbiddenError();
  return p;
}
