import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { auditQueueStats, transactionRetryStats } from '@lintel/domain';
import { auditEventsDropped, auditEventsPending, auditWritesFailed, dbConnections, dbTransactionRetries, metricsRegistry } from './metrics.js';
import { Public } from './public-route.js';

const READY_TIMEOUT_MS = 2000;

/** A condition `/readyz` waits for besides the database, shown under its name in `checks`. */
export interface ReadinessCheck {
  readonly name: string;
  ready(): boolean;
}

/** The provider of the app's {@link ReadinessCheck} list (libs/auth: token and credential keys loaded). */
export const READINESS_CHECKS = 'lintel:readiness-checks';

/**
 * Operations endpoints every Lintel app serves, unauthenticated (keep them off the public
 * network with a NetworkPolicy): `/healthz` (the process answers), `/readyz` (the database
 * answers and the key repositories are loaded) and `/metrics` (Prometheus text format).
 */
@Public()
@Controller()
export class OpsController {
  constructor(
    private readonly ds: DataSource,
    @Inject(READINESS_CHECKS) private readonly checks: readonly ReadinessCheck[],
  ) {}

  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res({ passthrough: true }) reply: FastifyReply) {
    const checks: Record<string, boolean> = { database: await this.databaseAnswers() };
    for (const c of this.checks) checks[c.name] = c.ready();
    const ready = Object.values(checks).every(Boolean);
    reply.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not ready', checks };
  }

  @Get('metrics')
  async metrics(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    this.sampleConnections();
    auditEventsPending.set(auditQueueStats.pending);
    // Counters that only grow in AuditService: carried over as they stand.
    auditEventsDropped.reset();
    auditEventsDropped.inc(auditQueueStats.dropped);
    auditWritesFailed.reset();
    auditWritesFailed.inc(auditQueueStats.failedWrites);
    dbTransactionRetries.reset();
    dbTransactionRetries.inc({ outcome: 'retried' }, transactionRetryStats.retried);
    dbTransactionRetries.inc({ outcome: 'exhausted' }, transactionRetryStats.exhausted);
    reply.header('Content-Type', metricsRegistry.contentType);
    return metricsRegistry.metrics();
  }

  private async databaseAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.ds.query('SELECT 1').then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), READY_TIMEOUT_MS))),
      ]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** mysql2 keeps its pool counts in fields it does not document; read them defensively. */
  private sampleConnections(): void {
    const pool = (this.ds.driver as unknown as { pool?: Record<string, { length?: number } | undefined> }).pool;
    if (!pool) {
      dbConnections.set({ state: 'total' }, this.ds.isInitialized ? 1 : 0);
      return;
    }
    dbConnections.set({ state: 'total' }, pool._allConnections?.length ?? 0);
    dbConnections.set({ state: 'idle' }, pool._freeConnections?.length ?? 0);
    dbConnections.set({ state: 'waiting' }, pool._connectionQueue?.length ?? 0);
  }
}
