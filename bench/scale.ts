import 'reflect-metadata';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { signV4 } from '../libs/credentials/src/index.js';
import { seedNames } from '../apps/manage/src/seed.js';
import { lineChart } from './lib/chart.js';
import { load, mergeLoads, stopAllLoad, type LoadResult, type LoadSpec } from './lib/load.js';
import { installCleanup, spawnNode } from './lib/processes.js';
import { RssSampler } from './lib/rss.js';
import { fmtMs, fmtRate } from './lib/scenario.js';
import { cleanEnv, DIST, startLintel, type LintelServer } from './lib/servers.js';

/**
 * `npm run bench:scale`: the same requests against directories of different sizes (docs/performance.md).
 * Each size is seeded once with `manage seed` (kept under BENCH_SCALE_DIR for later runs), served
 * by its own Lintel, and every request is measured on all sizes in turn, slice by slice, so that
 * the other load on the machine falls on every size alike. Prints p50/p99 per request and size
 * and the ratio of the largest size's p99 to the smallest's; writes the table (Markdown) and an
 * SVG chart of p99 against size into BENCH_SCALE_OUT.
 *
 * Env (all optional):
 *   BENCH_SCALE_SIZES        users per directory, comma-separated (default 1000,100000,1000000)
 *   BENCH_SCALE_DB           sqlite (default), or a MariaDB server URL mysql://user:pass@host:port
 *                            (the bench creates a database lintel_scale_<size> on it)
 *   BENCH_SCALE_DIR          where seeded directories are kept (default $TMPDIR/lintel-scale)
 *   BENCH_SCALE_FRESH=1      seed again even when a seeded directory is there
 *   BENCH_SCALE_OUT          where the report and chart go (default ./bench-results)
 *   BENCH_SCALE_BCRYPT       bcrypt cost of the seeded users' password (default 4, see the report)
 *   BENCH_SCALE_PROBES       users the requests are spread over (default 100)
 *   BENCH_SCALE_CONNECTIONS  concurrent connections (default 8)
 *   BENCH_DURATION           seconds measured per request and size (default 6), in BENCH_SCALE_SLICES slices (default 3)
 *   BENCH_WARMUP             seconds of unmeasured load per request and size first (default 1)
 *   BENCH_ONLY               request ids to measure (issue, validate, ec2tokens, users_by_name, role_assignments, user_projects, auth_projects, soda_list)
 */

function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min} (got ${raw})`);
  return n;
}

const sizes = (process.env.BENCH_SCALE_SIZES ?? '1000,100000,1000000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0).sort((a, b) => a - b);
if (!sizes.length || sizes.some((n) => !Number.isInteger(n) || n < 100)) throw new Error('BENCH_SCALE_SIZES: whole numbers of at least 100');
const dbUrl = process.env.BENCH_SCALE_DB && process.env.BENCH_SCALE_DB !== 'sqlite' ? process.env.BENCH_SCALE_DB.replace(/\/+$/, '') : undefined;
const dbTag = dbUrl ? 'mariadb' : 'sqlite';
const root = resolve(process.env.BENCH_SCALE_DIR ?? join(tmpdir(), 'lintel-scale'));
const fresh = process.env.BENCH_SCALE_FRESH === '1';
const outDir = resolve(process.env.BENCH_SCALE_OUT ?? 'bench-results');
const seedCost = envNumber('BENCH_SCALE_BCRYPT', 4, 4);
const probeCount = envNumber('BENCH_SCALE_PROBES', 100, 1);
const connections = envNumber('BENCH_SCALE_CONNECTIONS', 8, 1);
const duration = envNumber('BENCH_DURATION', 6, 1);
const slices = envNumber('BENCH_SCALE_SLICES', 3, 1);
const warmup = envNumber('BENCH_WARMUP', 1, 0);
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
const adminPassword = 'bench-admin-password';
const seedPassword = 'bench-seed-password';
const adminCost = process.env.LINTEL_BCRYPT_ROUNDS || '12';

installCleanup(stopAllLoad);
mkdirSync(root, { recursive: true });
mkdirSync(outDir, { recursive: true });

const fmtSize = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

// ------------------------------------------------------------------ one directory per size

interface Directory {
  size: number;
  dir: string;
  env: Record<string, string>;
  seedSeconds: number | undefined;
}

function directoryOf(size: number): Directory {
  const dir = join(root, `${dbTag}-${size}`);
  const env: Record<string, string> = { LINTEL_BCRYPT_ROUNDS: adminCost, LINTEL_LOG_LEVEL: 'warn' };
  if (dbUrl) env.LINTEL_DATABASE_URL = `${dbUrl}/lintel_scale_${size}`;
  return { size, dir, env, seedSeconds: undefined };
}

/** The manage CLI with the same environment the server gets. */
async function manage(d: Directory, args: string[]): Promise<string> {
  const child = spawnNode('manage', {
    args: [join(DIST, 'apps/manage/src/main.js'), ...args],
    env: cleanEnv({
      NODE_ENV: 'production', LINTEL_DATA_DIR: join(d.dir, 'data'), LINTEL_DATABASE_URL: `sqlite:${join(d.dir, 'lintel.sqlite')}`,
      LINTEL_ADMIN_PASSWORD: adminPassword, ...d.env, LINTEL_LOG_LEVEL: 'info',
    }),
    logFile: join(d.dir, 'manage.log'),
  });
  const code = await child.exited;
  if (code !== 0) throw new Error(`manage ${args.join(' ')} exited ${code}:\n${child.logTail()}`);
  return child.logTail(3);
}

/** Seeds the directory unless a seed of this size is there already; returns the seed's duration (undefined when reused). */
async function ensureSeeded(d: Directory): Promise<void> {
  const marker = join(d.dir, 'seeded.json');
  if (!fresh && existsSync(marker)) {
    d.seedSeconds = (JSON.parse(readFileSync(marker, 'utf8')) as { seconds?: number }).seconds;
    console.log(`  ${fmtSize(d.size)}: seeded directory reused (${d.dir})`);
    return;
  }
  rmSync(d.dir, { recursive: true, force: true });
  mkdirSync(d.dir, { recursive: true });
  if (dbUrl) {
    // A fresh database through the server's own driver.
    const mysql = await import('mysql2/promise');
    const conn = await mysql.createConnection(dbUrl);
    await conn.query(`DROP DATABASE IF EXISTS lintel_scale_${d.size}`);
    await conn.query(`CREATE DATABASE lintel_scale_${d.size} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await conn.end();
  }
  process.stdout.write(`  ${fmtSize(d.size)}: seeding ${d.size.toLocaleString('en-US')} users … `);
  await manage(d, ['db', 'migrate']);
  await manage(d, ['bootstrap']);
  const started = Date.now();
  const tail = await manage(d, ['seed', '--users', String(d.size), '--password', seedPassword, '--bcrypt-cost', String(seedCost)]);
  const line = tail.split('\n').reverse().find((l) => l.includes('"seeded"'));
  d.seedSeconds = line ? (JSON.parse(line) as { seconds: number }).seconds : (Date.now() - started) / 1000;
  writeFileSync(marker, JSON.stringify({ size: d.size, seconds: d.seedSeconds, db: dbTag }));
  console.log(`${d.seedSeconds.toFixed(1)} s`);
}

// ------------------------------------------------------------------ the requests

interface Probe {
  name: string;
  id: string;
  domainId: string;
  projectId: string;
  token: string;
  ec2Body: string;
}

interface Target {
  d: Directory;
  server: LintelServer;
  adminToken: string;
  probes: Probe[];
  rss: RssSampler;
  idleRssMb: number | undefined;
}

const json = { 'content-type': 'application/json' };
const passwordBody = (p: { name: string; domainId: string; projectId: string }) => JSON.stringify({
  auth: {
    identity: { methods: ['password'], password: { user: { name: p.name, domain: { id: p.domainId }, password: seedPassword } } },
    scope: { project: { id: p.projectId } },
  },
});

async function req(url: string, init: RequestInit & { expect?: number } = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  const text = await r.text();
  const body = text ? JSON.parse(text) : undefined;
  if (init.expect !== undefined && r.status !== init.expect) throw new Error(`${init.method ?? 'GET'} ${url} answered ${r.status}: ${text.slice(0, 300)}`);
  return { status: r.status, body, headers: r.headers };
}

/** Probe users spread over the whole directory, each with every kind of grant (every tenth user). */
function probeIndexes(size: number): number[] {
  const out = new Set<number>();
  for (let j = 0; j < probeCount; j++) out.add(Math.floor((j * size) / probeCount / 10) * 10);
  return [...out];
}

async function prepare(d: Directory): Promise<Target> {
  const server = await startLintel({ workDir: d.dir, adminPassword, env: d.env });
  const rss = new RssSampler();
  const url = server.url;
  const admin = await req(`${url}/v3/auth/tokens`, {
    method: 'POST', headers: json, expect: 201,
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: adminPassword } } }, scope: { project: { name: 'admin', domain: { name: 'Default' } } } } }),
  });
  const adminToken = admin.headers.get('x-subject-token')!;
  const probes: Probe[] = [];
  for (const i of probeIndexes(d.size)) {
    const name = seedNames.user(i);
    const found = await req(`${url}/v3/users?name=${name}`, { headers: { 'x-auth-token': adminToken }, expect: 200 });
    const u = found.body.users[0] as { id: string; domain_id: string; default_project_id: string };
    if (!u) throw new Error(`seeded user ${name} not found`);
    const p = { name, id: u.id, domainId: u.domain_id, projectId: u.default_project_id };
    const issued = await req(`${url}/v3/auth/tokens`, { method: 'POST', headers: json, body: passwordBody(p), expect: 201 });
    const made = await req(`${url}/v3/users/${u.id}/credentials/OS-EC2`, {
      method: 'POST', headers: { ...json, 'x-auth-token': adminToken }, body: JSON.stringify({ tenant_id: p.projectId }), expect: 201,
    });
    const { access, secret } = made.body.credential as { access: string; secret: string };
    const query = { Action: 'DescribeInstances', Version: '2016-11-15' };
    const host = 'ec2.example.com:8788';
    const signed = signV4({ method: 'GET', host, path: '/', query, body: '', accessKey: access, secret, region: 'RegionOne', service: 'ec2', date: new Date() });
    const ec2Body = JSON.stringify({
      credentials: { access, signature: signed.signature, host, verb: 'GET', path: '/', params: query, headers: { ...signed.headers, host }, body_hash: signed.bodyHash },
    });
    probes.push({ ...p, token: issued.headers.get('x-subject-token')!, ec2Body });
  }
  rss.watch(server.child.pid);
  const idleRssMb = rss.stop();
  return { d, server, adminToken, probes, rss: new RssSampler(), idleRssMb };
}

interface RequestKind {
  id: string;
  label: string;
  spec(t: Target, seconds: number): LoadSpec;
  /** Checks one answer before measuring (the right status, a non-empty answer). */
  check(t: Target): Promise<void>;
}

const get = (path: string, headers: Record<string, string>) => ({ method: 'GET' as const, path, headers });

const kinds: RequestKind[] = [
  {
    id: 'issue', label: 'POST /v3/auth/tokens (password, project)',
    spec: (t, s) => ({ url: t.server.url, connections, duration: s, timeout: 60, requests: t.probes.map((p) => ({ method: 'POST' as const, path: '/v3/auth/tokens', headers: json, body: passwordBody(p) })) }),
    check: async (t) => void (await req(`${t.server.url}/v3/auth/tokens`, { method: 'POST', headers: json, body: passwordBody(t.probes[0]!), expect: 201 })),
  },
  {
    id: 'validate', label: 'GET /v3/auth/tokens (validate)',
    spec: (t, s) => ({ url: t.server.url, connections, duration: s, requests: t.probes.map((p) => get('/v3/auth/tokens', { 'x-auth-token': t.adminToken, 'x-subject-token': p.token })) }),
    check: async (t) => void (await req(`${t.server.url}/v3/auth/tokens`, { headers: { 'x-auth-token': t.adminToken, 'x-subject-token': t.probes[0]!.token }, expect: 200 })),
  },
  {
    id: 'ec2tokens', label: 'POST /v3/ec2tokens',
    spec: (t, s) => ({ url: t.server.url, connections, duration: s, requests: t.probes.map((p) => ({ method: 'POST' as const, path: '/v3/ec2tokens', headers: { ...json, 'x-auth-token': t.adminToken }, body: p.ec2Body })) }),
    check: async (t) => void (await req(`${t.server.url}/v3/ec2tokens`, { method: 'POST', headers: { ...json, 'x-auth-token': t.adminToken }, body: t.probes[0]!.ec2Body, expect: 200 })),
  },
  {
    id: 'users_by_name', label: 'GET /v3/users?name=',
    spec: (t, s) => ({ url: t.server.url, connections, duration: s, requests: t.probes.map((p) => get(`/v3/users?name=${p.name}`, { 'x-auth-token': t.adminToken })) }),
    check: async (t) => {
      const r = await req(`${t.server.url}/v3/users?name=${t.probes[0]!.name}`, { headers: { 'x-auth-token': t.adminToken }, expect: 200 });
      if (r.body.users.length !== 1) throw new Error('users?name= did not find the probe');
    },
  },
  {
    id: 'role_assignments', label: 'GET /v3/role_assignments?user.id=&effective',
    spec: (t, s) => ({ url: t.server.url, connections, duration: s, requests: t.probes.map((p) => get(`/v3/role_assignments?user.id=${p.id}&effective`, { 'x-auth-token': t.adminToken })) }),
    check: async (t) => {
      const r = await req(`${t.server.url}/v3/role_assignments?user.id=${t.probes[0]!.id}&effective`, { headers: { 'x-auth-token': t.adminToken }, expect: 200 });
      if (!r.body.role_assignments.length || r.body.truncated) throw new Error(`effective role assignments: ${r.body.role_assignments.length} lines${r.body.truncated ? ', truncated' : ''}`);
    },
  },
  {
    id: 'user_projects', label: 'GET /v3/users/{id}/projects',
    spec: (t, s) => ({ url: t.server.url, connections, duration: s, requests: t.probes.map((p) => get(`/v3/users/${p.id}/projects`, { 'x-auth-token': t.adminToken })) }),
    check: async (t) => {
      const r = await req(`${t.server.url}/v3/users/${t.probes[0]!.id}/projects`, { headers: { 'x-auth-token': t.adminToken }, expect: 200 });
      if (!r.body.projects.length) throw new Error('no projects for the probe');
    },
  },
  {
    id: 'auth_projects', label: 'GET /v3/auth/projects',
    spec: (t, s) => ({ url: t.server.url, connections, duration: s, requests: t.probes.map((p) => get('/v3/auth/projects', { 'x-auth-token': p.token })) }),
    check: async (t) => void (await req(`${t.server.url}/v3/auth/projects`, { headers: { 'x-auth-token': t.probes[0]!.token }, expect: 200 })),
  },
  {
    id: 'soda_list', label: 'GET /v1/{project}/aksks/{user} (SODA)',
    spec: (t, s) => ({ url: t.server.multicloudUrl, connections, duration: s, requests: t.probes.map((p) => get(`/v1/${p.projectId}/aksks/${p.id}`, { 'x-auth-token': p.token })) }),
    check: async (t) => {
      const p = t.probes[0]!;
      const r = await req(`${t.server.multicloudUrl}/v1/${p.projectId}/aksks/${p.id}`, { headers: { 'x-auth-token': p.token }, expect: 200 });
      if (!Array.isArray(r.body) || !r.body.length) throw new Error('SODA list is empty');
    },
  },
];

// ------------------------------------------------------------------ run

const selected = only?.length ? kinds.filter((k) => only.includes(k.id)) : kinds;
const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
const header = [
  `Lintel scale benchmark (${dbTag}): node ${process.version}, ${availableParallelism()} CPU(s) (${cpu}), loopback`,
  `  sizes ${sizes.map(fmtSize).join(', ')} users; ${probeCount} probe users; ${connections} connections; ${duration} s per request and size in ${slices} slice(s), ${warmup} s warm-up`,
  `  seeded users' password: bcrypt cost ${seedCost} (the admin's: ${adminCost}); seeded directories in ${root}`,
];
console.log(header.join('\n'));

const targets: Target[] = [];
const results = new Map<string, LoadResult>();
const key = (kind: string, size: number) => `${kind}@${size}`;
try {
  console.log('\nDirectories');
  const dirs = sizes.map(directoryOf);
  for (const d of dirs) await ensureSeeded(d);
  for (const d of dirs) {
    process.stdout.write(`  ${fmtSize(d.size)}: starting Lintel, preparing ${probeCount} probe users … `);
    const t0 = Date.now();
    targets.push(await prepare(d));
    console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  for (const t of targets) t.rss.watch(t.server.child.pid);

  console.log('\nMeasuring');
  for (const k of selected) {
    process.stdout.write(`  ${k.label} … `);
    const started = Date.now();
    for (const t of targets) await k.check(t);
    if (warmup) for (const t of targets) await load(k.spec(t, warmup));
    const parts = new Map<number, LoadResult[]>();
    for (let s = 0; s < slices; s++) {
      // Sizes take turns, in a rotating order, so that no size always follows another.
      for (let j = 0; j < targets.length; j++) {
        const t = targets[(s + j) % targets.length]!;
        const r = await load(k.spec(t, duration / slices));
        parts.set(t.d.size, [...(parts.get(t.d.size) ?? []), r]);
      }
    }
    for (const [size, rs] of parts) results.set(key(k.id, size), mergeLoads(rs));
    console.log(`${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
} finally {
  for (const t of targets) await t.server.stop();
}

// ------------------------------------------------------------------ report

const small = sizes[0]!;
const large = sizes[sizes.length - 1]!;
const rows: string[][] = [];
for (const k of selected) {
  const cells = [k.label];
  for (const size of sizes) {
    const r = results.get(key(k.id, size));
    cells.push(r ? `${fmtMs(r.p50)} / ${fmtMs(r.p99)}` : '-');
  }
  const a = results.get(key(k.id, small))?.p99;
  const b = results.get(key(k.id, large))?.p99;
  const ratio = a && b ? b / a : undefined;
  cells.push(ratio === undefined ? '-' : `${ratio.toFixed(2)}×`);
  cells.push(ratio === undefined ? '' : ratio <= 1.5 ? 'meets' : 'MISSES');
  const rates = sizes.map((size) => results.get(key(k.id, size))).map((r) => (r ? fmtRate(r.rate) : '-'));
  cells.push(rates.join(' / '));
  const failures = sizes.map((size) => results.get(key(k.id, size))?.failures ?? 0).reduce((x, y) => x + y, 0);
  const detail = sizes.map((size) => results.get(key(k.id, size))?.failureDetail).filter(Boolean).join('; ');
  cells.push(failures ? `${failures} (${detail})` : '0');
  rows.push(cells);
}
const head = ['request', ...sizes.map((s) => `${fmtSize(s)} p50 / p99 ms`), `p99 ${fmtSize(large)}/${fmtSize(small)}`, 'goal ≤ 1.5×', 'req/s', 'failed'];
const rssRow = ['server RSS, peak MB (idle after start)', ...targets.map((t) => {
  const peak = t.rss.stop();
  return `${peak?.toFixed(0) ?? '-'} (${t.idleRssMb?.toFixed(0) ?? '-'})`;
}), '', (targets.at(-1)?.rss.stop() ?? 0) < 250 ? 'meets (< 250 MB)' : 'MISSES (< 250 MB)', '', ''];
const seedRow = ['seed time (manage seed), s', ...sizes.map((s) => {
  const d = targets.find((t) => t.d.size === s)?.d;
  return d?.seedSeconds === undefined ? '-' : d.seedSeconds.toFixed(1);
}), '', '', '', ''];
const md = (cells: string[]) => `| ${cells.join(' | ')} |`;
const table = [md(head), md(head.map(() => '---')), ...rows.map(md), md(rssRow), md(seedRow)].join('\n');

console.log(`\nResults (p50 / p99 of 2xx responses, ms; ${connections} connections; req/s per size, smallest first)\n`);
console.log(table);

const stamp = new Date().toISOString();
const svgName = `scale-${dbTag}-p99.svg`;
const report = [
  `# Lintel scale benchmark, ${dbTag}`,
  '',
  ...header.map((l) => l.trim()),
  `run at ${stamp}`,
  '',
  table,
  '',
  `![p99 against directory size](${svgName})`,
  '',
].join('\n');
writeFileSync(join(outDir, `scale-${dbTag}.md`), report);
writeFileSync(join(outDir, svgName), lineChart({
  title: `Lintel p99 latency against directory size (${dbTag}, ${connections} connections)`,
  xLabel: 'users in the directory',
  yLabel: 'p99 latency, ms (log scale)',
  series: selected.map((k) => ({ label: k.id, points: sizes.map((s) => [s, results.get(key(k.id, s))?.p99] as [number, number | undefined]) })),
}));
console.log(`\nReport: ${join(outDir, `scale-${dbTag}.md`)}\nChart:  ${join(outDir, svgName)}`);
console.log(`Seeded directories kept in ${root} (BENCH_SCALE_FRESH=1 seeds again; remove the directory to free the space).`);
process.exit(0);
