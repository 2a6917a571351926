import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import bcrypt from 'bcrypt';
import { workerData } from 'piscina';
import { verifyPasslib } from './passlib.js';

/** One hashing job; runs inside a piscina worker thread so bcrypt never blocks the event loop. */
export interface HashJob {
  op: 'hash' | 'verify';
  password: string;
  hash?: string;
  rounds?: number;
}

/** What the pool hands every hash thread when it starts it. */
export interface HashWorkerData {
  /** Niceness for this thread (0 = as the event loop). */
  nice: number;
}

/**
 * Lowers this thread's scheduling priority. There is one hash thread per core by default, so under
 * a login storm they would otherwise take every core from the event loop that validates tokens;
 * niced, they get the CPU the event loop leaves idle (docs/performance.md, "Password issuance").
 * Linux names a thread by its task id, which `/proc/thread-self` resolves to; elsewhere (or when
 * the system refuses) the thread keeps the default priority.
 */
export function niceThisThread(nice: number): boolean {
  if (!(nice > 0) || process.platform !== 'linux') return false;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}

niceThisThread((workerData as HashWorkerData | undefined)?.nice ?? 0);

export default function run(job: HashJob): string | boolean {
  if (job.op === 'hash') return bcrypt.hashSync(job.password, job.rounds ?? 12);
  // Lintel's own hashes are bcrypt; the other formats Keystone writes (bcrypt_sha256, scrypt,
  // pbkdf2_sha512, sha512_crypt) verify too, for users imported from it (passlib.ts).
  return verifyPasslib(job.password, job.hash ?? '') ?? false;
}
