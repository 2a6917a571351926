import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as Pino } from 'pino';

/** Headers and fields that must never reach a log line. */
const REDACT = [
  'req.headers["x-auth-token"]', 'req.headers["x-subject-token"]', 'req.headers.authorization', 'req.headers.cookie',
  'res.headers["x-subject-token"]', 'password', '*.password', 'token', '*.token', 'secret', '*.secret',
];

/**
 * The one JSON logger of a process. Lines about a request carry its `request_id` and `dialect`,
 * passed explicitly by the hooks and error filters that write them (an AsyncLocalStorage would
 * cost every request its promise hooks).
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Pino {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '***' },
      formatters: { level: (label) => ({ level: label }) },
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
