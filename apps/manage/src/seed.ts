import { randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';
import type { DataSource, QueryRunner } from 'typeorm';
import { ec2CredentialId, type CredentialKeyRing } from '@lintel/credentials';
import { NULL_DOMAIN_ID } from '@lintel/domain';

/**
 * `manage seed`: a realistic directory for load tests (docs/performance.md, "Seeding"). For N
 * users: N/100 trees of ten projects (a root, three children, six grandchildren), spread over
 * one domain per 100,000 users; one group per tree holding its hundred users; about 2N role
 * assignments, direct, through groups and inherited to projects; one ec2 credential per user
 * (sealed like any other); every user with the same password, hashed once.
 *
 * Every user has the same shape whatever N is (the same grants, a group of a hundred, a tree of
 * ten), so a request about one user costs the same at a thousand users as at a million unless
 * the database makes it grow: what the scale benchmark measures.
 *
 * Rows go in as multi-row INSERTs, tens of thousands per transaction. Ids are 32 hex characters
 * like Lintel's own, but rising with creation order so that the index pages fill in order.
 */

export interface SeedOptions {
  users: number;
  /** The one password of every seeded user. */
  password: string;
  /** bcrypt cost of that password's hash. */
  bcryptCost: number;
  /** Called as rows go in (for a progress line). */
  progress?: (p: SeedProgress) => void;
}

export interface SeedProgress {
  table: string;
  /** Rows written so far, per table, and what each table will hold. */
  done: Record<string, number>;
  total: Record<string, number>;
  startedAt: number;
}

export interface SeedResult {
  /** False when the database already held this seed (nothing written). */
  written: boolean;
  rows: Record<string, number>;
  seconds: number;
}

/** Names of the seeded entities, so that a benchmark can find them. */
export const seedNames = {
  domain: (d: number) => `seed-${d}`,
  user: (i: number) => `seed-user-${String(i).padStart(7, '0')}`,
  group: (t: number) => `seed-group-${String(t).padStart(6, '0')}`,
  project: (t: number, k: number) => `seed-project-${String(t).padStart(6, '0')}-${k}`,
};

/** The shape of a seed of `users` users. */
export function seedShape(users: number) {
  const trees = Math.max(1, Math.floor(users / 100));
  const domains = Math.max(1, Math.ceil(users / 100_000));
  return { users, trees, domains, projects: trees * 10, groups: trees };
}

/** Where user `i` sits: their tree (and group), domain, and the projects of their grants. */
export function seedUser(users: number, i: number) {
  const { trees, domains } = seedShape(users);
  // A tree's hundred users are consecutive, so rows go into every index in order.
  const tree = Math.min(trees - 1, Math.floor(i / 100));
  const slot = i % 100;
  return {
    tree,
    domain: tree % domains,
    /** Project index within the tree (0 root, 1-3 children, 4-9 grandchildren). */
    memberOf: 1 + (slot % 3),
    readerOf: 4 + (slot % 6),
    /** Member on the root, inherited to the projects below (every fifth user). */
    inheritsRoot: i % 5 === 0,
    /** Reader on the domain (every tenth user). */
    domainReader: i % 10 === 0,
    readerToo: i % 2 === 0,
  };
}

const TX_ROWS = 20_000;
const HEX = '0123456789abcdef';

/** Random bytes drawn from a large buffer refilled at once (a million small draws cost seconds). */
const pool = { buf: Buffer.alloc(0), at: 0 };
function random(n: number): Buffer {
  if (pool.at + n > pool.buf.length) {
    pool.buf = randomBytes(1 << 20);
    pool.at = 0;
  }
  const out = pool.buf.subarray(pool.at, pool.at + n);
  pool.at += n;
  return out;
}

/** A 32-hex id: a kind nibble, the sequence number, then random hex. */
function seqId(kind: number, n: number): string {
  return `${HEX[kind]}${n.toString(16).padStart(11, '0')}${random(10).toString('hex')}`;
}

/** TypeORM's text for a datetime column, the same on SQLite and MariaDB. */
function instant(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** Multi-row INSERTs on one connection, committed every {@link TX_ROWS} rows. */
class BulkWriter {
  private pending = 0;
  private open = false;
  private readonly sqlite: { prepare(sql: string): { run(...p: unknown[]): unknown }; exec(sql: string): unknown } | undefined;
  private readonly statements = new Map<string, { run(...p: unknown[]): unknown }>();
  private runner: QueryRunner | undefined;

  constructor(
    private readonly ds: DataSource,
    private readonly onRows: (table: string, n: number) => void,
  ) {
    this.sqlite = ds.options.type === 'better-sqlite3' ? (ds.driver as unknown as { databaseConnection: NonNullable<BulkWriter['sqlite']> }).databaseConnection : undefined;
  }

  /** better-sqlite3 directly, each statement prepared once; MariaDB on one connection of the pool. */
  private async exec(sql: string, params: unknown[] = []): Promise<void> {
    if (this.sqlite) {
      if (!params.length) {
        this.sqlite.exec(sql);
        return;
      }
      let st = this.statements.get(sql);
      if (!st) this.statements.set(sql, (st = this.sqlite.prepare(sql)));
      st.run(...params);
      return;
    }
    await this.runner!.query(sql, params);
  }

  async start(): Promise<void> {
    if (this.sqlite) {
      // A failed seed is started again on a fresh database: durability can wait for the end.
      this.sqlite.exec('PRAGMA synchronous = OFF');
      this.sqlite.exec('PRAGMA cache_size = -262144');
    } else {
      this.runner = this.ds.createQueryRunner();
      await this.runner.connect();
      await this.runner.query('SET SESSION unique_checks = 0, foreign_key_checks = 0');
    }
  }

  async insert(table: string, columns: readonly string[], rows: unknown[][]): Promise<void> {
    if (!rows.length) return;
    const per = Math.max(1, Math.min(500, Math.floor(30_000 / columns.length)));
    for (let at = 0; at < rows.length; at += per) {
      const chunk = rows.slice(at, at + per);
      if (!this.open) {
        await this.exec(this.sqlite ? 'BEGIN' : 'START TRANSACTION');
        this.open = true;
      }
      const one = `(${columns.map(() => '?').join(', ')})`;
      await this.exec(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: chunk.length }, () => one).join(', ')}`, chunk.flat());
      this.pending += chunk.length;
      this.onRows(table, chunk.length);
      if (this.pending >= TX_ROWS) await this.commit();
    }
  }

  async commit(): Promise<void> {
    if (!this.open) return;
    await this.exec('COMMIT');
    this.open = false;
    this.pending = 0;
  }

  /** Commits; the database is then left as a server would find it (no statistics gathered by hand). */
  async finish(): Promise<void> {
    try {
      await this.commit();
      if (this.sqlite) {
        this.sqlite.exec('PRAGMA synchronous = NORMAL');
        this.sqlite.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      } else {
        await this.runner!.query('SET SESSION unique_checks = 1, foreign_key_checks = 1');
      }
    } finally {
      await this.runner?.release();
    }
  }

  /** After a failure: whatever is open is rolled back. */
  async abort(): Promise<void> {
    try {
      if (this.open) await this.exec('ROLLBACK');
    } catch {
      // the connection is gone already
    }
    await this.runner?.release();
  }
}

/**
 * Seeds the directory. The database must be migrated and bootstrapped (the `member` and `reader`
 * roles), and `ring` loaded (credentials are sealed with its primary key). Idempotent: a
 * database that already holds the seed of this size is left as it is; another size is refused.
 */
export async function seed(ds: DataSource, ring: CredentialKeyRing, o: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const shape = seedShape(o.users);
  const existing: Array<{ extra: string | null }> = await ds.query('SELECT extra FROM domains WHERE name = ?', [seedNames.domain(0)]);
  if (existing.length) {
    const seeded = (JSON.parse(existing[0]!.extra ?? '{}') as { seed_users?: number }).seed_users;
    if (seeded === o.users) return { written: false, rows: {}, seconds: 0 };
    throw new Error(`this database already holds a seed of ${seeded ?? 'unknown size'} users; seed a fresh database`);
  }
  const roles: Array<{ id: string; name: string }> = await ds.query("SELECT id, name FROM roles WHERE domain_id = ? AND name IN ('member', 'reader')", [NULL_DOMAIN_ID]);
  const roleId = (name: string) => {
    const r = roles.find((x) => x.name === name);
    if (!r) throw new Error(`role ${name} not found: run "bootstrap" first`);
    return r.id;
  };
  const member = roleId('member');
  const reader = roleId('reader');
  const hash = await bcrypt.hash(o.password, o.bcryptCost);

  const n = o.users;
  let assignments = 0;
  for (let i = 0; i < n; i++) {
    const u = seedUser(n, i);
    assignments += 1 + (u.readerToo ? 1 : 0) + (u.inheritsRoot ? 1 : 0) + (u.domainReader ? 1 : 0);
  }
  assignments += shape.groups * 20;
  const total: Record<string, number> = {
    domains: shape.domains, projects: shape.projects, groups: shape.groups, users: n, passwords: n,
    user_group_membership: n, role_assignments: assignments, credentials: n,
  };
  const done: Record<string, number> = Object.fromEntries(Object.keys(total).map((k) => [k, 0]));
  const w = new BulkWriter(ds, (table, rows) => {
    done[table] = (done[table] ?? 0) + rows;
    o.progress?.({ table, done, total, startedAt: started });
  });

  await w.start();
  try {
    await writeDirectory(w, { n, member, reader, hash, ring });
  } catch (e) {
    await w.abort();
    throw e;
  }
  await w.finish();
  return { written: true, rows: done, seconds: (Date.now() - started) / 1000 };
}

/** Writes every seeded row, table by table for the small ones, then users with all that is theirs, ten thousand at a time. */
async function writeDirectory(w: BulkWriter, c: { n: number; member: string; reader: string; hash: string; ring: CredentialKeyRing }): Promise<void> {
  const { n, member, reader, hash, ring } = c;
  const shape = seedShape(n);
  const now = instant(new Date());
  const domainIds = Array.from({ length: shape.domains }, (_, d) => seqId(1, d));
  // Project and group ids are needed again for grants: kept (a tenth of N strings).
  const projectIds: string[] = [];
  const groupIds: string[] = [];
  const GRANT = ['type', 'actor_id', 'target_id', 'role_id', 'inherited'];

  await w.insert('domains', ['id', 'name', 'description', 'enabled', 'extra'],
    domainIds.map((id, d) => [id, seedNames.domain(d), 'seeded for load tests', 1, JSON.stringify(d === 0 ? { seed_users: n } : {})]));

  // A top-level project's parent is its domain (no row of projects), as for any project.
  for (let t0 = 0; t0 < shape.trees; t0 += 1000) {
    const rows: unknown[][] = [];
    for (let t = t0; t < Math.min(shape.trees, t0 + 1000); t++) {
      const domain = domainIds[t % shape.domains]!;
      for (let k = 0; k < 10; k++) {
        const id = seqId(2, t * 10 + k);
        projectIds.push(id);
        const parent = k === 0 ? domain : k <= 3 ? projectIds[t * 10] : projectIds[t * 10 + 1 + Math.floor((k - 4) / 2)];
        rows.push([id, seedNames.project(t, k), domain, parent, 0, null, 1, '{}']);
      }
    }
    await w.insert('projects', ['id', 'name', 'domain_id', 'parent_id', 'is_domain', 'description', 'enabled', 'extra'], rows);
  }

  for (let t0 = 0; t0 < shape.groups; t0 += 5000) {
    const rows: unknown[][] = [];
    for (let t = t0; t < Math.min(shape.groups, t0 + 5000); t++) {
      const id = seqId(3, t);
      groupIds.push(id);
      rows.push([id, seedNames.group(t), domainIds[t % shape.domains], null, '{}']);
    }
    await w.insert('groups', ['id', 'name', 'domain_id', 'description', 'extra'], rows);
  }

  // Group grants: on each of its tree's ten projects, member and reader; on the root the reader
  // grant is inherited to the projects below instead.
  const groupGrants: unknown[][] = [];
  for (let t = 0; t < shape.groups; t++) {
    for (let k = 0; k < 10; k++) {
      groupGrants.push(['GroupProject', groupIds[t], projectIds[t * 10 + k], member, 0]);
      groupGrants.push(['GroupProject', groupIds[t], projectIds[t * 10 + k], reader, k === 0 ? 1 : 0]);
    }
    if (groupGrants.length >= 10_000) await w.insert('role_assignments', GRANT, groupGrants.splice(0));
  }
  await w.insert('role_assignments', GRANT, groupGrants);

  for (let i0 = 0; i0 < n; i0 += 10_000) {
    const users: unknown[][] = [];
    const passwords: unknown[][] = [];
    const memberships: unknown[][] = [];
    const grants: unknown[][] = [];
    const credentials: unknown[][] = [];
    for (let i = i0; i < Math.min(n, i0 + 10_000); i++) {
      const u = seedUser(n, i);
      const id = seqId(4, i);
      const domain = domainIds[u.domain]!;
      const base = u.tree * 10;
      users.push([id, seedNames.user(i), domain, 1, projectIds[base + u.memberOf], '{}', '{}', now, null, 0, null]);
      passwords.push([id, hash, now, null, 0]);
      memberships.push([id, groupIds[u.tree]]);
      grants.push(['UserProject', id, projectIds[base + u.memberOf], member, 0]);
      if (u.readerToo) grants.push(['UserProject', id, projectIds[base + u.readerOf], reader, 0]);
      if (u.inheritsRoot) grants.push(['UserProject', id, projectIds[base], member, 1]);
      if (u.domainReader) grants.push(['UserDomain', id, domain, reader, 0]);
      // An ec2 credential as SODA's aksks makes them: a 16-character access key, the blob sealed.
      const access = `SEED${i.toString(36).toUpperCase().padStart(12, '0')}`;
      const sealed = ring.seal(JSON.stringify({ access, secret: random(24).toString('base64url') }));
      credentials.push([
        ec2CredentialId(access), id, projectIds[base + u.memberOf], 'ec2', access, sealed.ciphertext, sealed.keyHash,
        'active', 'soda', null, now, now, null, null, '{}',
      ]);
    }
    await w.insert('users', ['id', 'name', 'domain_id', 'enabled', 'default_project_id', 'options', 'extra', 'created_at', 'last_active_at', 'failed_auth_count', 'failed_auth_at'], users);
    await w.insert('passwords', ['user_id', 'password_hash', 'created_at', 'expires_at', 'self_service'], passwords);
    await w.insert('user_group_membership', ['user_id', 'group_id'], memberships);
    await w.insert('role_assignments', GRANT, grants);
    await w.insert('credentials', [
      'id', 'user_id', 'project_id', 'type', 'access_key', 'encrypted_blob', 'key_hash', 'state', 'issuer', 'expires_at', 'created_at', 'updated_at',
      'last_used_at', 'last_used_service', 'extra',
    ], credentials);
  }
}

/** Progress for a terminal: a line per table (rows written of rows to write), then the rate and the time left. */
export function progressLines(p: SeedProgress): string[] {
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  const all = Object.values(p.done).reduce((a, b) => a + b, 0);
  const total = Object.values(p.total).reduce((a, b) => a + b, 0);
  const secs = Math.max(0.001, (Date.now() - p.startedAt) / 1000);
  const rate = all / secs;
  const left = rate > 0 ? Math.ceil((total - all) / rate) : 0;
  const width = Math.max(...Object.keys(p.total).map((t) => t.length));
  const lines = Object.keys(p.total).map((t) => {
    const d = p.done[t] ?? 0;
    const pct = p.total[t] ? Math.floor((d / p.total[t]!) * 100) : 100;
    return `  ${t.padEnd(width)}  ${fmt(d).padStart(11)} / ${fmt(p.total[t]!).padEnd(11)} ${String(pct).padStart(3)}%${t === p.table && d < p.total[t]! ? '  <-' : ''}`;
  });
  lines.push(`  ${fmt(all)} of ${fmt(total)} rows, ${fmt(rate)} rows/s, ${secs.toFixed(0)} s so far, about ${left} s left`);
  return lines;
}
