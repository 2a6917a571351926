import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { auditInsertSql, auditRowValues, sqliteDatetime, unpackAuditEvent, type PackedAuditEvent } from './audit-event.js';

/** What {@link AuditWriterThread} starts the thread with. */
export interface AuditWriterInit {
  file: string;
  /** How long an INSERT waits for the main connection's write lock before failing. */
  busyTimeoutMs: number;
}

/** A batch to store; `id` pairs the answer with the request. `close` ends the thread instead. */
export type AuditWriteRequest = { id: number; events: PackedAuditEvent[] } | { close: true };

/**
 * The answer: no `error` when the batch is stored. `transient` errors (the database busy or
 * locked past the timeout) say nothing about the rows; the others may be the rows' fault.
 */
export interface AuditWriteResult {
  id: number;
  error?: string;
  transient?: boolean;
}

// A second connection to the service's SQLite file (WAL mode: its writes never block the main
// connection's readers, and SQLite serialises the two connections' writers), which builds the
// CADF payloads of a batch and INSERTs them, off the event loop of the service.
const init = workerData as AuditWriterInit;
const db = new Database(init.file, { timeout: init.busyTimeoutMs });
db.pragma('synchronous = NORMAL');
// Batches come in a few fixed sizes (250, 50, 10, 1): one statement each, prepared once.
const statements = new Map<number, Database.Statement>();
const quote = (name: string) => `"${name}"`;

parentPort!.on('message', (m: AuditWriteRequest) => {
  if ('close' in m) {
    // Statements run one at a time, so nothing is in flight: close the connection (SQLite
    // checkpoints its WAL when the last connection closes) and let the thread end.
    db.close();
    parentPort!.close();
    return;
  }
  const { id, events } = m;
  let answer: AuditWriteResult;
  try {
    let statement = statements.get(events.length);
    if (!statement) statements.set(events.length, (statement = db.prepare(auditInsertSql(events.length, quote))));
    const values: unknown[] = [];
    for (const e of events) auditRowValues(unpackAuditEvent(e), sqliteDatetime, values);
    statement.run(values);
    answer = { id };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    answer = { id, error: e instanceof Error ? e.message : String(e), transient: typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code) };
  }
  parentPort!.postMessage(answer);
});
