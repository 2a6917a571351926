import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LintelConfig } from '@lintel/config';
import { LintelDataSource } from '@lintel/domain';
import { progressLines, seed, type SeedProgress, type SeedResult } from './seed.js';
import { credentialKeys } from './tasks.js';

/**
 * `manage seed`: checks its options and the database, then seeds (seed.ts). On a terminal the
 * progress is redrawn in place a few times a second on stderr; elsewhere nothing is printed but
 * the final log line.
 */
export async function runSeed(config: LintelConfig, opts: { users: string; password?: string; bcryptCost?: string }): Promise<SeedResult & { passwordFile?: string }> {
  const users = Number(opts.users);
  if (!Number.isInteger(users) || users < 100 || users > 10_000_000) throw new Error('--users must be a whole number from 100 to 10000000');
  const cost = opts.bcryptCost === undefined ? config.password.bcryptRounds : Number(opts.bcryptCost);
  if (!Number.isInteger(cost) || cost < 4 || cost > 15) throw new Error('--bcrypt-cost must be a whole number from 4 to 15');
  let password = opts.password;
  let passwordFile: string | undefined;
  if (password === undefined) {
    passwordFile = join(config.dataDir, 'seed-password');
    if (existsSync(passwordFile)) {
      password = readFileSync(passwordFile, 'utf8').trim();
    } else {
      password = randomBytes(18).toString('base64url');
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    }
  }
  if (Buffer.byteLength(password, 'utf8') > 72) throw new Error('--password must be at most 72 bytes (bcrypt)');

  const ring = credentialKeys(config);
  await ring.repo.setup();
  ring.load();
  const ds = await LintelDataSource.open(config.database);
  try {
    if (await ds.showMigrations()) throw new Error('the database has pending migrations: run "db migrate" (and "bootstrap") first');
    const tty = process.stderr.isTTY === true;
    let drawn = 0;
    let last = 0;
    const draw = (p: SeedProgress, force = false) => {
      const now = Date.now();
      if (!force && now - last < 200) return;
      last = now;
      const lines = progressLines(p);
      process.stderr.write(`${drawn ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}\n`).join('')}`);
      drawn = lines.length;
    };
    let latest: SeedProgress | undefined;
    // The bulk writer writes straight through the writing connection, which it keeps to itself.
    const result = await ds.writes.exclusive((writer) => seed(writer, ring, {
      users, password, bcryptCost: cost,
      progress: tty ? (p) => draw((latest = p)) : undefined,
    }));
    if (latest) draw(latest, true);
    return { ...result, passwordFile };
  } finally {
    await ds.destroy();
  }
}
