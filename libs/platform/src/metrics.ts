import { Counter, Gauge, Registry } from 'prom-client';
import { DeferredCounter, FastHistogram } from './fast-metrics.js';

/**
 * The process's Prometheus registry and Lintel's own metrics. One registry per process: in the
 * all-in-one process both apps share it and their series differ by the `app` label.
 */
export const metricsRegistry = new Registry();

// A few process metrics, computed when scraped. (prom-client's collectDefaultMetrics observes
// every garbage collection; measured here, it tripled GC time under load.)
const startTime = Date.now() / 1000;
new Gauge({
  name: 'lintel_process_resident_memory_bytes', help: 'Resident memory size in bytes.', registers: [metricsRegistry],
  collect() { this.set(process.memoryUsage.rss()); },
});
new Gauge({
  name: 'lintel_process_heap_used_bytes', help: 'V8 heap in use, bytes.', registers: [metricsRegistry],
  collect() { this.set(process.memoryUsage().heapUsed); },
});
new Gauge({
  name: 'lintel_process_cpu_seconds_total', help: 'User and system CPU time spent, seconds.', registers: [metricsRegistry],
  collect() {
    const u = process.cpuUsage();
    this.set((u.user + u.system) / 1e6);
  },
});
new Gauge({
  name: 'lintel_process_start_time_seconds', help: 'Start time of the process since the epoch, seconds.', registers: [metricsRegistry],
  collect() { this.set(startTime); },
});

const requestCounter = new Counter({
  name: 'lintel_http_requests_total',
  help: 'HTTP requests answered, by app, method, route pattern and status.',
  labelNames: ['app', 'method', 'route', 'status'] as const,
  registers: [metricsRegistry],
  collect() { httpRequests.flush(); },
});
/** Per app, method, route pattern and status; counted per request, handed to prom-client when scraped. */
export const httpRequests = new DeferredCounter(() => requestCounter);

/** Per app, method, route pattern and status; observed per request. */
export const httpDuration = new FastHistogram(
  'lintel_http_request_duration_seconds',
  'Time to answer an HTTP request, by app, method, route pattern and status.',
  [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  metricsRegistry,
);

export const tokenEvents = new Counter({
  name: 'lintel_tokens_total',
  help: 'Tokens issued, validated and rejected.',
  labelNames: ['event'] as const,
  registers: [metricsRegistry],
});

const signatureCounter = new Counter({
  name: 'lintel_signature_checks_total',
  help: 'Request-signature checks of access keys, by dialect and outcome.',
  labelNames: ['dialect', 'outcome'] as const,
  registers: [metricsRegistry],
  collect() { signatureChecks.flush(); },
});
/** By dialect and outcome; counted per check, handed to prom-client when scraped. */
export const signatureChecks = new DeferredCounter(() => signatureCounter);

export const dbConnections = new Gauge({
  name: 'lintel_db_connections',
  help: 'Database connections by state (MySQL pool: total, idle, waiting requests; SQLite: 1 total).',
  labelNames: ['state'] as const,
  registers: [metricsRegistry],
});

// Set from the audit queue's counters when scraped (libs/domain keeps them, see AuditService).
export const auditEventsPending = new Gauge({
  name: 'lintel_audit_events_pending',
  help: 'CADF audit events recorded but not yet written to the database.',
  registers: [metricsRegistry],
});

export const auditEventsDropped = new Counter({
  name: 'lintel_audit_events_dropped_total',
  help: 'CADF audit events never written to the database (it failed too long, or refused the row); each is in the log.',
  registers: [metricsRegistry],
});

export const auditWritesFailed = new Counter({
  name: 'lintel_audit_writes_failed_total',
  help: 'Failed batch writes of audit events (retried, or dropped once they keep failing).',
  registers: [metricsRegistry],
});

// Set from the transaction runner's counters when scraped (docs/databases.md, "Reads and writes").
export const dbTransactionRetries = new Counter({
  name: 'lintel_db_transaction_retries_total',
  help: 'MySQL/MariaDB transactions that lost a conflict (deadlock, Galera certification): run again (retried) or given up on (exhausted, answered 503).',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});
