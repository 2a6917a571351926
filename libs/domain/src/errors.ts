/** The closed set of failure kinds the core can report; each dialect maps them to its own wire format. */
export type ErrorCode =
  | 'NotFound'
  | 'Conflict'
  | 'InvalidInput'
  | 'Unauthenticated'
  | 'Forbidden'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  | 'MethodNotAllowed'
  | 'Unavailable'
  | 'TooManyRequests'
  | 'Internal';

/**
 * Base of every error the core throws. `message` is safe to show a client unless the code is
 * Unauthenticated (dialects then show their generic text); `reason` is for the log only.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

export class NotFoundError extends DomainError {
  constructor(kind: string, id: string) {
    super('NotFound', `Could not find ${kind}: ${id}.`);
  }
}

/** Keystone's RoleAssignmentNotFound: no such grant of the role to the actor on the target. */
export class RoleAssignmentNotFoundError extends DomainError {
  constructor(roleId: string, actorId: string, targetId: string) {
    super('NotFound', `Could not find role assignment with role: ${roleId}, user or group: ${actorId}, project, domain, or system: ${targetId}.`);
  }
}

export class ConflictError extends DomainError {
  constructor(type: string, details: string) {
    super('Conflict', `Conflict occurred attempting to store ${type} - ${details}.`);
  }
}

/** Keystone's ValidationError template: the message names the missing attribute. */
export class InvalidInputError extends DomainError {
  constructor(message: string) {
    super('InvalidInput', message);
  }
  static missing(attribute: string, target: string): InvalidInputError {
    return new InvalidInputError(
      `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`,
    );
  }
  static field(path: string, problem: string): InvalidInputError {
    return new InvalidInputError(`Invalid input for field '${path}': ${problem}`);
  }
}

/** The request body could not be parsed (each dialect words this its own way). */
export class MalformedBodyError extends DomainError {
  constructor() {
    super('InvalidInput', 'The request body is not valid JSON.');
  }
}

/** Authentication failed. The client always sees a generic text; `reason` goes to the log. */
export class UnauthenticatedError extends DomainError {
  constructor(reason: string, publicMessage?: string) {
    super('Unauthenticated', publicMessage ?? 'The request you have made requires authentication.', reason);
  }
}

export class ForbiddenError extends DomainError {
  constructor(action?: string) {
    super(
      'Forbidden',
      action
        ? `You are not authorized to perform the requested action: ${action}.`
        : 'You are not authorized to perform the requested action.',
    );
  }
}

/** Too many attempts from one source or for one account; `retryAfter` is in seconds. */
export class TooManyRequestsError extends DomainError {
  constructor(readonly retryAfter: number, reason: string) {
    super('TooManyRequests', 'Too many authentication attempts. Please try again later.', reason);
  }
}

/** The database (or another dependency) cannot be reached right now. */
export class UnavailableError extends DomainError {
  constructor(reason: string) {
    super('Unavailable', 'The service is temporarily unavailable. Please try again later.', reason);
  }
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_SERVER_SHUTDOWN', 'SQLITE_BUSY', 'SQLITE_CANTOPEN',
  'SQLITE_IOERR', 'POOL_CLOSED', 'ER_LOCK_WAIT_TIMEOUT',
  // A conflict that outlasted the runner's retries (docs/databases.md, "Reads and writes").
  'ER_LOCK_DEADLOCK', 'SQLITE_BUSY_SNAPSHOT',
  // 1047, "WSREP has not yet prepared node for application use": a Galera node that is joining,
  // or cut off from the cluster's majority (docs/galera.md).
  'ER_UNKNOWN_COM_ERROR',
]);

/**
 * True when `err` says the database could not be reached or cannot serve the request right now
 * (as opposed to a bad query): the dialects answer 503, the client may try again.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: any = err, depth = 0; e && depth < 4; e = e.driverError ?? e.cause, depth++) {
    if (typeof e.code === 'string' && CONNECTION_ERROR_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && /connection (is in closed state|lost)|Pool is closed|Can't add new command when connection is in closed state/i.test(e.message)) return true;
    if (e.fatal === true) return true;
  }
  return false;
}

/** True when `err` is a unique-constraint violation on either database. */
export function isUniqueViolation(err: unknown): boolean {
  const e: any = (err as any)?.driverError ?? err;
  return e?.code === 'ER_DUP_ENTRY' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** The most a resource's free-form attributes may take, serialised: well within a TEXT column. */
export const MAX_EXTRA_BYTES = 16 * 1024;

/** Returns `extra` when it fits, else a 400 (PATCHes merge extras, so they could grow forever). */
export function boundedExtra<T extends Record<string, unknown> | null | undefined>(extra: T): T {
  if (extra && Buffer.byteLength(JSON.stringify(extra)) > MAX_EXTRA_BYTES) {
    throw new InvalidInputError(`The resource's extra attributes may take at most ${MAX_EXTRA_BYTES} bytes.`);
  }
  return extra;
}

/** Runs an insert; a unique-constraint violation (a concurrent create of the same name) becomes `conflict`. */
export async function insertOrConflict<T>(insert: () => Promise<unknown>, value: T, conflict: () => DomainError): Promise<T> {
  try {
    await insert();
    return value;
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict();
    throw e;
  }
}
