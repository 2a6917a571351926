import bcrypt from 'bcrypt';
import { Piscina } from 'piscina';
import type { HashJob } from '../libs/auth/src/hash.worker.js';

/**
 * Child process of the benchmark: the raw password-check rate of the service's own hashing set-up
 * (the same worker file, `bcrypt.compareSync` on a piscina pool of the same size as
 * BcryptPasswordHasher's), with enough jobs queued that no thread ever idles. Prints one JSON line.
 *
 * Env: BENCH_HASH_THREADS, BENCH_HASH_ROUNDS, BENCH_DURATION_MS.
 */
export interface HashRateResult {
  threads: number;
  rounds: number;
  completed: number;
  elapsedMs: number;
  rate: number;
  /** Job latency, ms (queue wait + compare). */
  p50: number;
  p99: number;
}

const threads = Number(process.env.BENCH_HASH_THREADS);
const rounds = Number(process.env.BENCH_HASH_ROUNDS);
const durationMs = Number(process.env.BENCH_DURATION_MS);
if (!(threads >= 1) || !(rounds >= 4) || !(durationMs > 0)) throw new Error('BENCH_HASH_THREADS, BENCH_HASH_ROUNDS and BENCH_DURATION_MS are required');

const password = 'bench-password-1234';
const hash = bcrypt.hashSync(password, rounds);
const pool = new Piscina({
  filename: new URL('../libs/auth/src/hash.worker.js', import.meta.url).href,
  minThreads: threads,
  maxThreads: threads,
  idleTimeout: 2 ** 31 - 1,
});
const job: HashJob = { op: 'verify', password, hash };

// Warm-up: one job per thread, so thread start and module load are not timed.
await Promise.all(Array.from({ length: threads }, () => pool.run(job)));

const latencies: number[] = [];
const start = performance.now();
const end = start + durationMs;
let completed = 0;
let stopped = false;

async function lane(): Promise<void> {
  while (!stopped) {
    const t = performance.now();
    const ok = (await pool.run(job)) as boolean;
    if (!ok) throw new Error('bcrypt compare returned false for the right password');
    const now = performance.now();
    if (now > end) {
      stopped = true;
      return;
    }
    completed++;
    latencies.push(now - t);
  }
}

// One job in flight per thread, resubmitted as soon as it completes: the thread idles only for a
// message round trip (microseconds against a compare of hundreds of milliseconds), and the
// latencies are those of one compare, not of a queue.
await Promise.all(Array.from({ length: threads }, lane));
const elapsedMs = Math.min(performance.now(), end) - start;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1))] ?? 0;
const result: HashRateResult = {
  threads, rounds, completed, elapsedMs, rate: (completed / elapsedMs) * 1000, p50: pct(50), p99: pct(99),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
await pool.destroy();
process.exit(0);
