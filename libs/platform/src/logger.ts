import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as Pino } from 'pino';

/** Headers and fields that must never reach a log line. */
const REDACT = [
  'req.headers["x-auth-token"]', 'req.headers["x-subject-token"]', 'req.headers.authorization', 'req.headers.cookie',
  'res.headers["x-subject-token"]', 'password', '*.password', 'token', '*.token', 'secret', '*.secret',
  'req.headers["openstack-auth-receipt"]', 'res.headers["openstack-auth-receipt"]', 'passcode', '*.passcode', 'blob', '*.blob',
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
/**
 * TypeOrmModule warns when a second app of the process registers the default data source: the
 * all-in-one process does that on purpose (its apps share one, see LintelDataSource), so the line
 * is kept at debug.
 */
const EXPECTED_WARNINGS = new Set(['DataSourceNameRegistry']);

/**
 * Nest's LoggerService on top of pino, so framework and application lines share one format.
 * Nest calls `(message, ...params, context)`; an object message with a string after it becomes
 * pino's `(fields, msg)`.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}
  log(message: unknown, ...params: unknown[]) {
    this.write(FRAMEWORK_CONTEXTS.has(String(params.at(-1))) ? 'debug' : 'info', message, params);
  }
  error(message: unknown, ...params: unknown[]) { this.write('error', message, params); }
  warn(message: unknown, ...params: unknown[]) { this.write(EXPECTED_WARNINGS.has(String(params.at(-1))) ? 'debug' : 'warn', message, params); }
  debug(message: unknown, ...params: unknown[]) { this.write('debug', message, params); }
  verbose(message: unknown, ...params: unknown[]) { this.write('trace', message, params); }
  fatal(message: unknown, ...params: unknown[]) { this.write('fatal', message, params); }

  private write(level: 'info' | 'warn' | 'error' | 'debug' | 'trace' | 'fatal', message: unknown, params: unknown[]) {
    // Lines below the level are dropped before their fields are copied (the audit logs one per event).
    if (!this.pino.isLevelEnabled(level)) return;
    const strings = params.filter((p): p is string => typeof p === 'string');
    const context = strings.length ? strings[strings.length - 1] : undefined;
    if (typeof message === 'object' && message !== null) {
      this.pino[level]({ context, ...message }, strings.length > 1 ? strings[0] : undefined);
    } else {
      // Nest passes a stack trace as the string before the context on error().
      const stack = level === 'error' && strings.length > 1 ? strings[0] : undefined;
      this.pino[level]({ context, ...(stack ? { stack } : {}) }, String(message));
    }
  }
}
