import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Piscina } from 'piscina';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { PasswordHasher } from '@lintel/domain';
import type { HashJob, HashWorkerData } from './hash.worker.js';

/**
 * bcrypt on a fixed pool of worker threads (`LINTEL_HASH_THREADS`, by default one per core), so
 * password checks never stall the event loop that validates tokens. The threads run niced
 * (`LINTEL_HASH_NICE`): a login storm uses every core the event loop leaves idle, and validation
 * keeps its latency (docs/performance.md, "Password issuance").
 */
@Injectable()
export class BcryptPasswordHasher extends PasswordHasher implements OnApplicationShutdown {
  private poolInstance: Piscina | undefined;
  private readonly rounds: number;

  constructor(@Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig) {
    super();
    this.rounds = cfg.password.bcryptRounds;
  }

  /** Started on first use, so a process that never checks a password starts no threads. */
  private get pool(): Piscina {
    const threads = this.cfg.password.hashThreads;
    this.poolInstance ??= new Piscina({
      filename: new URL('./hash.worker.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 2 ** 31 - 1,
      // Strict FIFO: by default piscina re-queues a job it could not hand out at the tail, so under
      // sustained load some logins starve while others cycle (seen in the benchmark).
      stricterFIFO: true,
      workerData: { nice: this.cfg.password.hashNice } satisfies HashWorkerData,
    });
    return this.poolInstance;
  }

  hash(password: string): Promise<string> {
    return this.pool.run({ op: 'hash', password, rounds: this.rounds } satisfies HashJob);
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.pool.run({ op: 'verify', password, hash } satisfies HashJob);
  }

  /** After the HTTP server closed: requests in flight keep their hashing threads to the end. */
  async onApplicationShutdown(): Promise<void> {
    await this.poolInstance?.destroy();
  }
}
