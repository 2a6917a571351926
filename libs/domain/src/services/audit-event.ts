// The audit trail's record → CADF event → table row mapping, free of Nest and TypeORM: the
// AuditService uses it on the event loop, the SQLite audit writer thread in its worker.

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

/** A recorded event waiting to be stored: the record with the id and time it was given. */
export interface QueuedAuditEvent {
  id: string;
  time: Date;
  record: AuditRecord;
}

/**
 * A queued event as a flat tuple: what the write-behind queue holds and what crosses to the
 * writer thread (a structured clone of primitives costs half that of the nested objects).
 */
export type PackedAuditEvent = [
  id: string, timeMs: number, action: string, outcome: AuditRecord['outcome'], targetType: string, targetId: string | null,
  userId: string | null, projectId: string | null, name: string | null, address: string | null, requestId: string | null, reason: string | null,
];

export function packAuditEvent({ id, time, record: r }: QueuedAuditEvent): PackedAuditEvent {
  const i = r.initiator;
  return [id, time.getTime(), r.action, r.outcome, r.targetType, r.targetId ?? null, i.userId ?? null, i.projectId ?? null, i.name ?? null, i.address ?? null, r.requestId ?? null, r.reason ?? null];
}

export function unpackAuditEvent(p: PackedAuditEvent): QueuedAuditEvent {
  const [id, timeMs, action, outcome, targetType, targetId, userId, projectId, name, address, requestId, reason] = p;
  return {
    id, time: new Date(timeMs),
    record: { action, outcome, targetType, targetId, initiator: { userId, projectId, name, address }, requestId, ...(reason === null ? {} : { reason }) },
  };
}

/** The `audit_events` columns an INSERT fills, in the order {@link auditRowValues} gives them. */
export const AUDIT_COLUMNS = [
  'event_id', 'action', 'outcome', 'initiator_user_id', 'initiator_project_id', 'target_type', 'target_id', 'request_id', 'event_time', 'payload',
] as const;

const OBSERVER = { typeURI: 'service/security', id: 'lintel' };

/** The CADF event (Keystone's notification shape) of a recorded event. */
export function cadfEvent({ id, time, record: r }: QueuedAuditEvent): Record<string, unknown> {
  const { userId, name, projectId, address } = r.initiator;
  const initiator: Record<string, unknown> = { typeURI: 'service/security/account/user' };
  if (userId) initiator.id = userId;
  if (name) initiator.name = name;
  if (projectId) initiator.project_id = projectId;
  if (address) initiator.host = { address };
  const target: Record<string, unknown> = { typeURI: `data/security/${r.targetType}` };
  if (r.targetId) target.id = r.targetId;
  const event: Record<string, unknown> = {
    typeURI: 'http://schemas.dmtf.org/cloud/audit/1.0/event',
    id,
    eventType: 'activity',
    eventTime: `${time.toISOString().slice(0, -1)}+0000`,
    action: r.action,
    outcome: r.outcome,
    initiator,
    target,
    observer: OBSERVER,
  };
  if (r.requestId) event.requestId = r.requestId;
  if (r.reason) event.reason = { reasonType: 'lintel', reasonCode: r.reason };
  return event;
}

/**
 * Appends the row of `e` to `values`, in {@link AUDIT_COLUMNS} order. Columns are cut to their
 * lengths (the payload keeps the whole value): a row the database refuses would otherwise fail
 * the batch it travels in. `time` converts the event time for the driver.
 */
export function auditRowValues(e: QueuedAuditEvent, time: (d: Date) => unknown, values: unknown[]): void {
  const r = e.record;
  values.push(
    e.id, r.action.slice(0, 64), r.outcome, r.initiator.userId?.slice(0, 64) ?? null, r.initiator.projectId?.slice(0, 64) ?? null,
    r.targetType.slice(0, 64), r.targetId?.slice(0, 255) ?? null, r.requestId?.slice(0, 64) ?? null, time(e.time), JSON.stringify(cadfEvent(e)),
  );
}

/** A multi-row INSERT of `rows` events into `audit_events`; `escape` quotes a name for the driver. */
export function auditInsertSql(rows: number, escape: (name: string) => string): string {
  const tuple = `(${AUDIT_COLUMNS.map(() => '?').join(', ')})`;
  return `INSERT INTO ${escape('audit_events')} (${AUDIT_COLUMNS.map(escape).join(', ')}) VALUES ${Array(rows).fill(tuple).join(', ')}`;
}

/** A time as TypeORM stores a `datetime` column in SQLite: UTC, `YYYY-MM-DD HH:MM:SS.SSS`. */
export function sqliteDatetime(d: Date): string {
  return d.toISOString().slice(0, 23).replace('T', ' ');
}
