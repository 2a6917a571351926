import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ADMIN_PASSWORD } from './lintel.js';

/** The absolute path of an executable on PATH, or undefined. */
export function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir || '.', cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * The `skip` option for a suite that needs an external command: locally a missing command skips
 * the suite with the reason; in CI it must fail instead of passing vacuously.
 */
export function skipUnless(path: string | undefined, missing: string): string | false {
  return !path && process.env.CI !== 'true' ? `${missing}; skipped (CI would fail)` : false;
}

/** Masks the test password and anything token-shaped, so failures never print a credential. */
export function redact(s: string): string {
  return s.split(ADMIN_PASSWORD).join('***').replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, '<token>').replace(/gAAAA[\w-]+=*/g, '<token>');
}
