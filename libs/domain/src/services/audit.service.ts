import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, MoreThanOrEqual } from 'typeorm';
import { AuditEventEntity } from '../entities/index.js';

/** What happened, by whom, to what: the fields of a CADF event Lintel fills. */
export interface AuditRecord {
  /** CADF action, e.g. `created.user`, `deleted.project`, `authenticate`. */
  action: string;
  outcome: 'success' | 'failure';
  /** Keystone's resource type: `user`, `project`, `role_assignment`, `token`, ... */
  targetType: string;
  targetId?: string | null;
  initiator: { userId?: string | null; projectId?: string | null; name?: string | null; address?: string | null };
  requestId?: string | null;
  /** Why it failed, for the operator (never a secret). */
  reason?: string;
}

/**
 * The audit trail, in the shape of Keystone's CADF notifications: every record is written to the
 * `audit_events` table and to the log. Recording never fails the request it describes.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('audit');

  constructor(private readonly ds: DataSource) {}

  async record(r: AuditRecord): Promise<void> {
    const now = new Date();
    const event = {
      typeURI: 'http://schemas.dmtf.org/cloud/audit/1.0/event',
      id: randomUUID(),
      eventType: 'activity',
      eventTime: now.toISOString().replace('Z', '+0000'),
      action: r.action,
      outcome: r.outcome,
      initiator: {
        typeURI: 'service/security/account/user',
        ...(r.initiator.userId ? { id: r.initiator.userId } : {}),
        ...(r.initiator.name ? { name: r.initiator.name } : {}),
        ...(r.initiator.projectId ? { project_id: r.initiator.projectId } : {}),
        ...(r.initiator.address ? { host: { address: r.initiator.address } } : {}),
      },
      target: { typeURI: `data/security/${r.targetType}`, ...(r.targetId ? { id: r.targetId } : {}) },
      observer: { typeURI: 'service/security', id: 'lintel' },
      ...(r.requestId ? { requestId: r.requestId } : {}),
      ...(r.reason ? { reason: { reasonType: 'lintel', reasonCode: r.reason } } : {}),
    };
    this.logger.log({ request_id: r.requestId ?? undefined, cadf: event }, 'audit');
    try {
      await this.ds.getRepository(AuditEventEntity).insert({
        eventId: event.id, action: r.action, outcome: r.outcome, initiatorUserId: r.initiator.userId ?? null,
        initiatorProjectId: r.initiator.projectId ?? null, targetType: r.targetType, targetId: r.targetId ?? null,
        requestId: r.requestId ?? null, eventTime: now, payload: JSON.stringify(event),
      });
    } catch (e) {
      this.logger.warn(`audit record not stored: ${(e as Error).message}`);
    }
  }

  /** Recent records, newest first, as CADF events. */
  async list(o: { since?: Date; limit?: number } = {}): Promise<object[]> {
    const rows = await this.ds.getRepository(AuditEventEntity).find({
      where: o.since ? { eventTime: MoreThanOrEqual(o.since) } : {},
      order: { id: 'DESC' },
      take: Math.min(Math.max(o.limit ?? 100, 1), 1000),
    });
    return rows.map((r) => JSON.parse(r.payload) as object);
  }
}
