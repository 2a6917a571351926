import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { EnvSchema } from './env.schema.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Keystone's list sections, each with its own `list_limit` (docs/performance.md, "Bounded lists"):
 * identity (users, groups), resource (projects, domains), assignment (role assignments and the
 * projects a user may scope to), role (roles), credential (credentials).
 */
export const LIST_SECTIONS = ['identity', 'resource', 'assignment', 'role', 'credential'] as const;
export type ListSection = (typeof LIST_SECTIONS)[number];

/** Default list limit: Keystone has none; see docs/performance.md for why Lintel has one. */
export const DEFAULT_LIST_LIMIT = 1000;

export interface DatabaseConfig {
  readonly kind: 'sqlite' | 'mysql';
  /** File path for SQLite, connection URL for MySQL/MariaDB. */
  readonly url: string;
  readonly poolSize: number;
  /**
   * `wsrep_sync_wait` for every MySQL session on a MariaDB Galera node (docs/galera.md, "Reads see
   * acknowledged writes"); undefined: the server's value with the READ bit added.
   */
  readonly wsrepSyncWait?: number;
}

/** Typed configuration; built only by `loadConfig` (or by tests directly). */
export interface LintelConfig {
  readonly database: DatabaseConfig;
  readonly identityPort: number;
  readonly multicloudPort: number;
  readonly bind: string;
  readonly dataDir: string;
  readonly adminPassword: string | undefined;
  /** The project whose `admin` role makes a cloud administrator (Keystone's admin_project_*). */
  readonly adminProject: { readonly name: string; readonly domainName: string };
  /** Public base URL of the identity app (`{BASE}`); derived from each request when unset. */
  readonly publicUrl: string | undefined;
  /** Believe `X-Forwarded-Proto` / `X-Forwarded-Host` (only behind a proxy that sets them). */
  readonly trustForwarded: boolean;
  /** Serve the browser console at /console/ of the identity port. */
  readonly console: boolean;
  /** Public base URL of the multicloud app, for the service catalog. */
  readonly multicloudPublicUrl: string;
  readonly token: {
    readonly expiration: number;
    readonly allowExpiredWindow: number;
    readonly maxActiveKeys: number;
    readonly keysDir: string;
  };
  readonly credential: {
    /** Directory of the AES-256-GCM keys that seal credential secrets. */
    readonly keysDir: string;
    readonly maxActiveKeys: number;
    /** Credentials one user may hold (500 unless set; docs/security.md, "L6"); undefined = no limit. */
    readonly userLimit: number | undefined;
    /** Seconds a signed request stays acceptable (Keystone's `credential.auth_ttl`, 15 min). */
    readonly authTtl: number;
    /**
     * Trust-scoped tokens may manage the ec2 credentials of their own project, which then give
     * trust-scoped tokens (docs/keystone-trusts.md, "EC2 credentials"); off, any delegated token
     * gets Keystone 22's 403 on the credential APIs.
     */
    readonly trustEc2: boolean;
  };
  /** Keystone's `[oauth1]` durations, seconds; 0 = the token never expires (docs/keystone-oauth1.md). */
  readonly oauth1: { readonly requestTokenDuration: number; readonly accessTokenDuration: number };
  readonly revocationRefreshMs: number;
  readonly lockout: { readonly failureAttempts: number | undefined; readonly duration: number };
  /** TOTP passcodes of this many earlier 30-second windows are accepted too (Keystone's `[totp] included_previous_windows`). */
  readonly totp: { readonly includedPreviousWindows: number };
  /** Seconds an auth receipt (multi-factor authentication, half done) stays usable (Keystone's `[receipt] expiration`). */
  readonly receipt: { readonly expiration: number };
  /** Authentication attempts allowed per minute, per remote address and per account; undefined = unlimited. */
  readonly authRateLimit: { readonly perSource: number | undefined; readonly perUser: number | undefined };
  /** Seconds a stopping process waits for requests in flight before it exits anyway. */
  readonly shutdownTimeout: number;
  /** Seconds a client may take to send a whole request before it gets a 408 and is disconnected. */
  readonly requestTimeout: number;
  readonly password: {
    readonly bcryptRounds: number;
    readonly hashThreads: number;
    /** Scheduling niceness of the hash threads (Linux), so the event loop wins a busy CPU. */
    readonly hashNice: number;
    /** Keystone's PCI-DSS options (`[security_compliance]`), all off by default. */
    readonly regex: RegExp | undefined;
    readonly regexDescription: string | undefined;
    readonly expiresDays: number | undefined;
    readonly uniqueLastCount: number | undefined;
    readonly minimumAgeDays: number | undefined;
    readonly changeUponFirstUse: boolean;
  };
  /**
   * Authorization (docs/policy.md): an oslo.policy file whose rules replace the defaults of the
   * same name, and whether a rule's intended token scopes are enforced (oslo.policy's `enforce_scope`).
   */
  readonly policy: { readonly file: string | undefined; readonly enforceScope: boolean };
  /**
   * Most entries one list answer holds, per section (Keystone's `[DEFAULT] list_limit` and its
   * per-section overrides); undefined = unbounded. A client's `limit` may ask for fewer, never more.
   */
  readonly listLimits: Readonly<Record<ListSection, number | undefined>>;
  readonly logLevel: LogLevel;
}

/**
 * Credentials one user may hold unless LINTEL_CREDENTIAL_USER_LIMIT says otherwise. Keystone's
 * `[credential] user_limit` defaults to -1 (unlimited), which its own help text calls an opening
 * for database bloat and denial of service; Lintel bounds it by default.
 */
export const DEFAULT_CREDENTIAL_USER_LIMIT = 500;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
}

/** Parses `LINTEL_DATABASE_URL`; a relative SQLite path is taken from the working directory. */
export function parseDatabaseUrl(url: string, poolSize = 10, wsrepSyncWait?: number): DatabaseConfig {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    return { kind: 'sqlite', url: path === ':memory:' ? path : resolve(path), poolSize: 1 };
  }
  return { kind: 'mysql', url: url.replace(/^mariadb:/, 'mysql:'), poolSize, ...(wsrepSyncWait === undefined ? {} : { wsrepSyncWait }) };
}

/**
 * Reads and validates every `LINTEL_*` variable. Throws a ConfigError naming each bad variable.
 * This is the only place in Lintel that reads `process.env`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LintelConfig {
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('LINTEL_') && v !== undefined && v !== '') raw[k] = v;
  const e = plainToInstance(EnvSchema, raw);
  const errors = validateSync(e, { forbidUnknownValues: false });
  const problems = describe(errors);
  if (e.LINTEL_PASSWORD_REGEX) {
    try {
      new RegExp(e.LINTEL_PASSWORD_REGEX);
    } catch {
      problems.push('LINTEL_PASSWORD_REGEX: is not a valid regular expression');
    }
  }
  if (problems.length) throw new ConfigError(problems);
  const dataDir = resolve(e.LINTEL_DATA_DIR ?? './data');
  return {
    database: parseDatabaseUrl(e.LINTEL_DATABASE_URL ?? 'sqlite:./data/lintel.sqlite', e.LINTEL_DB_POOL_SIZE ?? 10, e.LINTEL_DB_WSREP_SYNC_WAIT),
    identityPort: e.LINTEL_IDENTITY_PORT ?? 5000,
    multicloudPort: e.LINTEL_MULTICLOUD_PORT ?? 8089,
    bind: e.LINTEL_BIND ?? '127.0.0.1',
    dataDir,
    adminPassword: e.LINTEL_ADMIN_PASSWORD,
    adminProject: { name: e.LINTEL_ADMIN_PROJECT_NAME ?? 'admin', domainName: e.LINTEL_ADMIN_PROJECT_DOMAIN_NAME ?? 'Default' },
    publicUrl: e.LINTEL_PUBLIC_URL,
    trustForwarded: e.LINTEL_TRUST_FORWARDED === 'true' || e.LINTEL_TRUST_FORWARDED === '1',
    console: e.LINTEL_CONSOLE !== 'false' && e.LINTEL_CONSOLE !== '0',
    multicloudPublicUrl: e.LINTEL_MULTICLOUD_PUBLIC_URL ?? `http://${reachable(e.LINTEL_BIND ?? '127.0.0.1')}:${e.LINTEL_MULTICLOUD_PORT ?? 8089}`,
    token: {
      expiration: e.LINTEL_TOKEN_EXPIRATION ?? 3600,
      allowExpiredWindow: e.LINTEL_TOKEN_ALLOW_EXPIRED_WINDOW ?? 172800,
      maxActiveKeys: e.LINTEL_TOKEN_MAX_ACTIVE_KEYS ?? 3,
      keysDir: resolve(dataDir, 'token-keys'),
    },
    credential: {
      keysDir: resolve(dataDir, 'credential-keys'),
      maxActiveKeys: e.LINTEL_CREDENTIAL_MAX_ACTIVE_KEYS ?? 3,
      userLimit: e.LINTEL_CREDENTIAL_USER_LIMIT === -1 ? undefined : (e.LINTEL_CREDENTIAL_USER_LIMIT ?? DEFAULT_CREDENTIAL_USER_LIMIT),
      authTtl: e.LINTEL_CREDENTIAL_AUTH_TTL ?? 900,
      trustEc2: e.LINTEL_TRUST_EC2_CREDENTIALS === 'true' || e.LINTEL_TRUST_EC2_CREDENTIALS === '1',
    },
    oauth1: { requestTokenDuration: e.LINTEL_OAUTH1_REQUEST_TOKEN_DURATION ?? 28800, accessTokenDuration: e.LINTEL_OAUTH1_ACCESS_TOKEN_DURATION ?? 86400 },
    revocationRefreshMs: e.LINTEL_REVOCATION_REFRESH_MS ?? 500,
    lockout: { failureAttempts: e.LINTEL_LOCKOUT_FAILURE_ATTEMPTS, duration: e.LINTEL_LOCKOUT_DURATION ?? 1800 },
    totp: { includedPreviousWindows: e.LINTEL_TOTP_INCLUDED_PREVIOUS_WINDOWS ?? 1 },
    receipt: { expiration: e.LINTEL_RECEIPT_EXPIRATION ?? 300 },
    authRateLimit: { perSource: e.LINTEL_AUTH_RATE_LIMIT_PER_SOURCE, perUser: e.LINTEL_AUTH_RATE_LIMIT_PER_USER },
    shutdownTimeout: e.LINTEL_SHUTDOWN_TIMEOUT ?? 10,
    requestTimeout: e.LINTEL_REQUEST_TIMEOUT ?? 30,
    password: {
      bcryptRounds: e.LINTEL_BCRYPT_ROUNDS ?? 12,
      hashThreads: e.LINTEL_HASH_THREADS ?? availableParallelism(),
      hashNice: e.LINTEL_HASH_NICE ?? 10,
      regex: e.LINTEL_PASSWORD_REGEX ? new RegExp(e.LINTEL_PASSWORD_REGEX) : undefined,
      regexDescription: e.LINTEL_PASSWORD_REGEX_DESCRIPTION,
      expiresDays: e.LINTEL_PASSWORD_EXPIRES_DAYS,
      uniqueLastCount: e.LINTEL_UNIQUE_LAST_PASSWORD_COUNT,
      minimumAgeDays: e.LINTEL_MINIMUM_PASSWORD_AGE,
      changeUponFirstUse: e.LINTEL_CHANGE_PASSWORD_UPON_FIRST_USE === 'true' || e.LINTEL_CHANGE_PASSWORD_UPON_FIRST_USE === '1',
    },
    policy: {
      file: e.LINTEL_POLICY_FILE ? resolve(e.LINTEL_POLICY_FILE) : undefined,
      enforceScope: !(e.LINTEL_POLICY_ENFORCE_SCOPE === 'false' || e.LINTEL_POLICY_ENFORCE_SCOPE === '0'),
    },
    listLimits: listLimits(e.LINTEL_LIST_LIMIT ?? DEFAULT_LIST_LIMIT, e.LINTEL_LIST_LIMITS),
    logLevel: (e.LINTEL_LOG_LEVEL ?? 'info') as LogLevel,
  };
}

/** `LINTEL_LIST_LIMIT` for every section, then `LINTEL_LIST_LIMITS` (`section=n,...`) over it; 0 = unbounded. */
function listLimits(global: number, perSection: string | undefined): Record<ListSection, number | undefined> {
  const bound = (n: number) => (n > 0 ? n : undefined);
  const out = Object.fromEntries(LIST_SECTIONS.map((s) => [s, bound(global)])) as Record<ListSection, number | undefined>;
  for (const part of perSection ? perSection.split(',') : []) {
    const [section, n] = part.split('=');
    out[section!.trim() as ListSection] = bound(Number(n));
  }
  return out;
}

/** A host clients can reach for a bind address (a wildcard bind is reached through loopback). */
function reachable(bind: string): string {
  if (bind === '0.0.0.0' || bind === '::') return '127.0.0.1';
  return bind.includes(':') ? `[${bind}]` : bind;
}

/** Whether a project of that name, in the domain of that name, is the cloud's admin project (Keystone's `admin_project_*`). */
export function isAdminProjectName(c: LintelConfig, projectName: string, domainName: string | undefined): boolean {
  return projectName === c.adminProject.name && domainName === c.adminProject.domainName;
}

/** The identity URL put in the service catalog. */
export function identityPublicUrl(c: LintelConfig): string {
  return c.publicUrl ?? `http://${reachable(c.bind)}:${c.identityPort}`;
}

/** A copy of the config that is safe to print: the admin password and DB credentials masked. */
export function redactConfig(c: LintelConfig): object {
  return {
    ...c,
    adminPassword: c.adminPassword ? '***' : undefined,
    database: { ...c.database, url: c.database.url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@') },
  };
}
