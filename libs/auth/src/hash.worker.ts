import bcrypt from 'bcrypt';
import { verifyPasslib } from './passlib.js';

/** One hashing job; runs inside a piscina worker thread so bcrypt never blocks the event loop. */
export interface HashJob {
  op: 'hash' | 'verify';
  password: string;
  hash?: string;
  rounds?: number;
}

export default function run(job: HashJob): string | boolean {
  if (job.op === 'hash') return bcrypt.hashSync(job.password, job.rounds ?? 12);
  // Lintel's own hashes are bcrypt; the other formats Keystone writes (bcrypt_sha256, scrypt,
  // pbkdf2_sha512, sha512_crypt) verify too, for users imported from it (passlib.ts).
  return verifyPasslib(job.password, job.hash ?? '') ?? false;
}
