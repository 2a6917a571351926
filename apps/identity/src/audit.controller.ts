import { Controller, Get, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuditService, InvalidInputError } from '@lintel/domain';
import { KeystonePolicy } from './keystone-caller.js';

/** `GET /v3/OS-AUDIT/events` (Lintel's own): recent CADF events for cloud admins and system readers. */
@Controller('v3/OS-AUDIT/events')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly authz: KeystonePolicy,
  ) {}

  @Get()
  async listAuditEvents(@Query() q: Record<string, unknown>, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'lintel:list_audit_events');
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw InvalidInputError.field('limit', 'must be an integer from 1 to 1000');
    const since = typeof q.since === 'string' ? new Date(q.since) : undefined;
    if (since && Number.isNaN(since.getTime())) throw InvalidInputError.field('since', 'must be an ISO 8601 date-time');
    return { events: await this.audit.list({ limit, since }) };
  }
}
