import bcrypt from 'bcrypt';

/** One hashing job; runs inside a piscina worker thread so bcrypt never blocks the event loop. */
export interface HashJob {
  op: 'hash' | 'verify';
  password: string;
  hash?: string;
  rounds?: number;
}

export default function run(job: HashJob): string | boolean {
  if (job.op === 'hash') return bcrypt.hashSync(job.password, job.rounds ?? 12);
  // Hashes Keystone wrote ($2a$/$2b$/$2y$) verify as they are.
  try {
    return bcrypt.compareSync(job.password, job.hash ?? '');
  } catch {
    return false;
  }
}
