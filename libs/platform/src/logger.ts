import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as Pino } from 'pino';

/** Per-request context; every log line made while serving a request carries its id. */
export interface RequestContext {
  requestId: string;
  dialect: string;
}
export const requestContext = new AsyncLocalStorage<RequestContext>();

/** Headers and fields that must never reach a log line. */
const REDACT = [
  'req.headers["x-auth-token"]', 'req.headers["x-subject-token"]', 'req.headers.authorization', 'req.headers.cookie',
  'res.headers["x-subject-token"]', 'password', '*.password', 'token', '*.token', 'secret', '*.secret',
];

/** The one JSON logger of a process. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Pino {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '***' },
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const ctx = requestContext.getStore();
        return ctx ? { request_id: ctx.requestId, dialect: ctx.dialect } : {};
      },
    },
    destination as never,
  );
}

const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** Nest's LoggerService on top of pino, so framework and application lines share one format. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}
  /** Nest's own start-up chatter (module and route listings) is debug detail, not news. */
  log(message: unknown, context?: string) { this.write(context && FRAMEWORK_CONTEXTS.has(context) ? 'debug' : 'info', message, context); }
  error(message: unknown, trace?: string, context?: string) {
    this.pino.error({ context, ...(trace ? { stack: trace } : {}) }, String(message));
  }
  warn(message: unknown, context?: string) { this.write('warn', message, context); }
  debug(message: unknown, context?: string) { this.write('debug', message, context); }
  verbose(message: unknown, context?: string) { this.write('trace', message, context); }
  fatal(message: unknown, context?: string) { this.write('fatal', message, context); }
  private write(level: 'info' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, context?: string) {
    if (typeof message === 'object' && message !== null) this.pino[level]({ context, ...message });
    else this.pino[level]({ context }, String(message));
  }
}
