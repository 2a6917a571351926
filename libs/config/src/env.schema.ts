import 'reflect-metadata';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, NotEquals } from 'class-validator';
import { Type } from 'class-transformer';

const int = () => Type(() => Number);

/**
 * The environment Lintel reads, one property per `LINTEL_*` variable. Validated once at start;
 * every bad variable is reported by name (see `loadConfig`).
 */
export class EnvSchema {
  @IsOptional() @IsString() @Matches(/^(sqlite:.+|mysql:\/\/.+|mariadb:\/\/.+)$/, {
    message: 'must be sqlite:<path> or mysql://user:pass@host:port/db',
  })
  LINTEL_DATABASE_URL?: string;

  @IsOptional() @int() @IsInt() @Min(0) @Max(65535) LINTEL_IDENTITY_PORT?: number;
  @IsOptional() @int() @IsInt() @Min(0) @Max(65535) LINTEL_MULTICLOUD_PORT?: number;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(255) LINTEL_BIND?: string;
  @IsOptional() @IsString() @MinLength(1) LINTEL_DATA_DIR?: string;
  @IsOptional() @IsString() @MinLength(8) @MaxLength(72) LINTEL_ADMIN_PASSWORD?: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(255) LINTEL_ADMIN_PROJECT_NAME?: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(255) LINTEL_ADMIN_PROJECT_DOMAIN_NAME?: string;
  @IsOptional() @IsString() @Matches(/^https?:\/\/[^\s]+[^/]$/, { message: 'must be an absolute http(s) URL without a trailing slash' })
  LINTEL_PUBLIC_URL?: string;
  @IsOptional() @IsString() @Matches(/^https?:\/\/[^\s]+[^/]$/, { message: 'must be an absolute http(s) URL without a trailing slash' })
  LINTEL_MULTICLOUD_PUBLIC_URL?: string;
  @IsOptional() @IsIn(['true', 'false', '1', '0']) LINTEL_TRUST_FORWARDED?: string;
  @IsOptional() @IsIn(['true', 'false', '1', '0']) LINTEL_CONSOLE?: string;

  @IsOptional() @int() @IsInt() @Min(60) @Max(31 * 24 * 3600) LINTEL_TOKEN_EXPIRATION?: number;
  @IsOptional() @int() @IsInt() @Min(0) @Max(31 * 24 * 3600) LINTEL_TOKEN_ALLOW_EXPIRED_WINDOW?: number;
  @IsOptional() @int() @IsInt() @Min(2) @Max(100) LINTEL_TOKEN_MAX_ACTIVE_KEYS?: number;
  @IsOptional() @int() @IsInt() @Min(50) @Max(2000) LINTEL_REVOCATION_REFRESH_MS?: number;

  @IsOptional() @int() @IsInt() @Min(3) @Max(100) LINTEL_CREDENTIAL_MAX_ACTIVE_KEYS?: number;
  /** -1 turns the limit off, as Keystone's `[credential] user_limit`. */
  @IsOptional() @int() @IsInt() @Min(-1) @NotEquals(0) @Max(100000) LINTEL_CREDENTIAL_USER_LIMIT?: number;
  @IsOptional() @int() @IsInt() @Min(60) @Max(24 * 3600) LINTEL_CREDENTIAL_AUTH_TTL?: number;
  @IsOptional() @IsIn(['true', 'false', '1', '0']) LINTEL_TRUST_EC2_CREDENTIALS?: string;

  @IsOptional() @int() @IsInt() @Min(0) @Max(10 * 365 * 24 * 3600) LINTEL_OAUTH1_REQUEST_TOKEN_DURATION?: number;
  @IsOptional() @int() @IsInt() @Min(0) @Max(10 * 365 * 24 * 3600) LINTEL_OAUTH1_ACCESS_TOKEN_DURATION?: number;

  @IsOptional() @int() @IsInt() @Min(1) @Max(100000) LINTEL_AUTH_RATE_LIMIT_PER_SOURCE?: number;
  @IsOptional() @int() @IsInt() @Min(1) @Max(100000) LINTEL_AUTH_RATE_LIMIT_PER_USER?: number;
  @IsOptional() @int() @IsInt() @Min(1) @Max(120) LINTEL_SHUTDOWN_TIMEOUT?: number;
  @IsOptional() @int() @IsInt() @Min(1) @Max(600) LINTEL_REQUEST_TIMEOUT?: number;

  @IsOptional() @int() @IsInt() @Min(1) @Max(1000) LINTEL_LOCKOUT_FAILURE_ATTEMPTS?: number;
  @IsOptional() @int() @IsInt() @Min(1) @Max(365 * 24 * 3600) LINTEL_LOCKOUT_DURATION?: number;
  @IsOptional() @int() @IsInt() @Min(0) @Max(10) LINTEL_TOTP_INCLUDED_PREVIOUS_WINDOWS?: number;
  @IsOptional() @int() @IsInt() @Min(0) @Max(86400) LINTEL_RECEIPT_EXPIRATION?: number;

  @IsOptional() @int() @IsInt() @Min(4) @Max(15) LINTEL_BCRYPT_ROUNDS?: number;
  @IsOptional() @IsString() @MaxLength(1024) LINTEL_PASSWORD_REGEX?: string;
  @IsOptional() @IsString() @MaxLength(1024) LINTEL_PASSWORD_REGEX_DESCRIPTION?: string;
  @IsOptional() @int() @IsInt() @Min(1) @Max(3650) LINTEL_PASSWORD_EXPIRES_DAYS?: number;
  @IsOptional() @int() @IsInt() @Min(1) @Max(100) LINTEL_UNIQUE_LAST_PASSWORD_COUNT?: number;
  @IsOptional() @int() @IsInt() @Min(1) @Max(3650) LINTEL_MINIMUM_PASSWORD_AGE?: number;
  @IsOptional() @IsIn(['true', 'false', '1', '0']) LINTEL_CHANGE_PASSWORD_UPON_FIRST_USE?: string;
  @IsOptional() @int() @IsInt() @Min(1) @Max(64) LINTEL_HASH_THREADS?: number;
  @IsOptional() @int() @IsInt() @Min(0) @Max(19) LINTEL_HASH_NICE?: number;
  @IsOptional() @int() @IsInt() @Min(1) @Max(200) LINTEL_DB_POOL_SIZE?: number;
  /** MariaDB Galera's `wsrep_sync_wait` for Lintel's sessions (a bit mask, 0-15); unset: the READ bit added on Galera nodes (docs/galera.md). */
  @IsOptional() @int() @IsInt() @Min(0) @Max(15) LINTEL_DB_WSREP_SYNC_WAIT?: number;

  @IsOptional() @IsString() @MinLength(1) LINTEL_POLICY_FILE?: string;
  @IsOptional() @IsIn(['true', 'false', '1', '0']) LINTEL_POLICY_ENFORCE_SCOPE?: string;

  @IsOptional() @int() @IsInt() @Min(0) @Max(1_000_000) LINTEL_LIST_LIMIT?: number;
  @IsOptional() @IsString() @Matches(/^\s*(identity|resource|assignment|role|credential)\s*=\s*\d{1,7}\s*(,\s*(identity|resource|assignment|role|credential)\s*=\s*\d{1,7}\s*)*$/, {
    message: 'must be section=n pairs separated by commas, sections identity, resource, assignment, role, credential (e.g. identity=5000,assignment=0)',
  })
  LINTEL_LIST_LIMITS?: string;

  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LINTEL_LOG_LEVEL?: string;
}
