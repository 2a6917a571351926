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
  // Hashes Keystone (passlib) wrote verify as they are: $2b$ and $2a$ natively; $2y$ is the same
  // algorithm under PHP's prefix, which the native binding does not recognise.
  const hash = (job.hash ?? '').replace(/^\$2y\$/, '$2b$');
  try {
    return bcrypt.compareSync(job.password, hash);
  } catch {
    return false;
  }
}
