import { randomBytes, randomUUID } from 'node:crypto';

/** A Keystone-style id: 32 lowercase hex characters (uuid4().hex). */
export function newId(): string {
  return randomUUID().replaceAll('-', '');
}

/** A Keystone audit id: URL-safe base64 of 16 random bytes, unpadded (22 characters). */
export function newAuditId(): string {
  return randomBytes(16).toString('base64url');
}

export const DEFAULT_DOMAIN_ID = 'default';
/** Keystone's sentinel for "no domain" in columns that are part of a unique key (global roles). */
export const NULL_DOMAIN_ID = '<<null>>';
/** Target id used for system-scope role assignments. */
export const SYSTEM_TARGET_ID = 'system';
