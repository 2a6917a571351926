import { Worker } from 'node:worker_threads';
import type { PackedAuditEvent } from './audit-event.js';
import type { AuditWriteRequest, AuditWriteResult, AuditWriterInit } from './audit-writer.worker.js';

/** A batch the writer thread could not store; `transient` when the database was busy, locked or the thread stopped. */
export class AuditWriteError extends Error {
  constructor(message: string, readonly transient: boolean) {
    super(message);
  }
}

/** How long a closing thread may take to finish its last batches and close its connection. */
const CLOSE_WAIT_MS = 10_000;

interface Running {
  worker: Worker;
  pending: Map<number, { resolve: () => void; reject: (e: Error) => void }>;
}

/**
 * Stores audit events of an SQLite database from a worker thread with a connection of its own
 * (audit-writer.worker.ts): better-sqlite3 runs on the calling thread, and building the CADF
 * payloads and INSERTing them (plus the WAL checkpoints the INSERTs trigger) took about a quarter
 * of the event loop's time under `POST /v3/ec2tokens` load. Here the event loop only hands the
 * batch over.
 *
 * Safe beside the main connections: SQLite serialises writers across connections (each waits up
 * to the busy timeout for the other), and a transaction of the main writer whose snapshot a
 * commit here made stale is run again (docs/databases.md, "SQLite").
 *
 * One thread per database file and process, shared ({@link acquire} / {@link release}), started on
 * first use and again after it stops (a failed start, a crash: the batches in flight then fail as
 * transient, and the caller's retry goes to the new thread). It keeps the process alive only
 * while batches are in flight.
 */
export class AuditWriterThread {
  /** How long an INSERT waits for the other connection's write lock (tests shorten it). */
  static busyTimeoutMs = 5000;
  private static readonly shared = new Map<string, { thread: AuditWriterThread; users: number }>();

  private running: Running | undefined;
  private next = 0;

  private constructor(private readonly file: string) {}

  /** The thread for the SQLite file `file`. */
  static acquire(file: string): AuditWriterThread {
    let entry = AuditWriterThread.shared.get(file);
    if (!entry) AuditWriterThread.shared.set(file, (entry = { thread: new AuditWriterThread(file), users: 0 }));
    entry.users++;
    return entry.thread;
  }

  /**
   * Gives the thread back; the last user stops it: the thread closes its connection after the
   * batches already sent (stopped outright if it has not ended within {@link CLOSE_WAIT_MS}).
   */
  async release(): Promise<void> {
    const entry = AuditWriterThread.shared.get(this.file);
    if (!entry || entry.thread !== this || --entry.users > 0) return;
    AuditWriterThread.shared.delete(this.file);
    const running = this.running;
    this.running = undefined;
    if (!running) return;
    const { worker } = running;
    worker.ref();
    const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ close: true } satisfies AuditWriteRequest);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_WAIT_MS)));
    if ((await Promise.race([ended, late])) === 'late') await worker.terminate();
    clearTimeout(timer);
  }

  /** Stores one batch; resolves once it is committed. */
  write(events: PackedAuditEvent[]): Promise<void> {
    const { worker, pending } = this.running ?? this.start();
    const id = ++this.next;
    return new Promise<void>((resolve, reject) => {
      if (!pending.size) worker.ref();
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, events } satisfies AuditWriteRequest);
    });
  }

  private start(): Running {
    const init: AuditWriterInit = { file: this.file, busyTimeoutMs: AuditWriterThread.busyTimeoutMs };
    const worker = new Worker(new URL('./audit-writer.worker.js', import.meta.url), { workerData: init });
    worker.unref();
    const running: Running = { worker, pending: new Map() };
    const { pending } = running;
    worker.on('message', (m: AuditWriteResult) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (!pending.size) worker.unref();
      if (m.error === undefined) p.resolve();
      else p.reject(new AuditWriteError(m.error, m.transient === true));
    });
    const stopped = (why: string) => {
      if (this.running === running) this.running = undefined;
      const failed = [...pending.values()];
      pending.clear();
      for (const p of failed) p.reject(new AuditWriteError(`the audit writer thread stopped: ${why}`, true));
    };
    worker.on('error', (e) => stopped(e.message));
    worker.on('exit', (code) => stopped(`exit code ${code}`));
    this.running = running;
    return running;
  }
}
