import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../libs/config/src/config.js';
import { signV4 } from '../libs/credentials/src/index.js';
import type { HashRateResult } from './hash-rate.js';
import { load, pairedLoad, stopAllLoad, type LoadSpec } from './lib/load.js';
import { installCleanup, onCleanup, spawnNode } from './lib/processes.js';
import { resultsTable, targetsTable, warnings } from './lib/report.js';
import { fromLoad, p99Below, rateAtLeast, runScenario, type Measurement, type Scenario, type Target } from './lib/scenario.js';
import { cleanEnv, DIST, startBaseline, startLintel, type LintelServer, type Server } from './lib/servers.js';
import { KEYSTONE_ADMIN_PASSWORD, KEYSTONE_MANAGE, startKeystone } from '../test/helpers/keystone-server.js';

/**
 * `npm run bench`: loopback load benchmarks of Lintel against a bare node:http baseline.
 * Informative only: targets print PASS/FAIL but do not change the exit code, which is 0 unless
 * a scenario could not run at all (e.g. the server did not start): then 1, with the logs kept.
 *
 * Env (all optional):
 *   BENCH_DURATION             seconds per measured load (default 10)
 *   BENCH_WARMUP               seconds of unmeasured load before the baseline and validation runs (default 2)
 *   BENCH_VALIDATE_CONNECTIONS validation concurrency (default 16)
 *   BENCH_ISSUE_CONNECTIONS    password issuance concurrency (default 8)
 *   BENCH_SLICES               slices the validate / ec2tokens / aksks loads are cut into, each after a
 *                              baseline slice of the same length (default 5; 1 = one baseline run, then the load)
 *   LINTEL_BCRYPT_ROUNDS       bcrypt cost of the server and of the raw hash run (default 12, Keystone's)
 *   LINTEL_HASH_THREADS        hash threads (default: unset, the service's own default, one per core)
 *   BENCH_KEYSTONE_WORKERS     uWSGI workers of the Keystone 22 issuance is compared with (default 2;
 *                              0 = no Keystone; it runs only where Debian's keystone and uwsgi-core are installed)
 *   BENCH_CPU_PROF=<dir>       write V8 CPU profiles of the Lintel server (main thread + workers) there
 *   BENCH_KEEP=1               keep the temp directory (database, server logs)
 *   BENCH_ONLY=a,b             run only these scenarios (ids: baseline, validate, hash, issue, keystone, mixed, ec2tokens, aksks)
 */

function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min} (got ${raw})`);
  return n;
}

const duration = envNumber('BENCH_DURATION', 10, 1);
const warmup = envNumber('BENCH_WARMUP', 2, 0);
const validateConnections = envNumber('BENCH_VALIDATE_CONNECTIONS', 16, 1);
const issueConnections = envNumber('BENCH_ISSUE_CONNECTIONS', 8, 1);
const baselineConnections = 16;
const slices = envNumber('BENCH_SLICES', 5, 1);
const keystoneWorkers = KEYSTONE_MANAGE ? envNumber('BENCH_KEYSTONE_WORKERS', 2, 0) : 0;
const cpuProfDir = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined;
const keep = process.env.BENCH_KEEP === '1';
const adminPassword = 'bench-admin-password';

// The run is bounded: nine measured loads (Keystone's start too), three interleaved baselines, four warm-ups, server starts and drains.
const watchdogMs = (duration * 12 + warmup * 4 + 150 + (keystoneWorkers ? 120 : 0)) * 1000;

installCleanup(stopAllLoad);
const workDir = mkdtempSync(join(tmpdir(), 'lintel-bench-'));
let keepWorkDir = keep;
onCleanup(() => {
  if (!keepWorkDir) rmSync(workDir, { recursive: true, force: true });
});
const watchdog = setTimeout(() => {
  console.error(`benchmark exceeded ${watchdogMs / 1000} s: giving up`);
  process.exit(1);
}, watchdogMs);
watchdog.unref();

// ------------------------------------------------------------------ Lintel, started once, shared

const lintelEnv = {
  LINTEL_BCRYPT_ROUNDS: process.env.LINTEL_BCRYPT_ROUNDS || '12',
  LINTEL_HASH_THREADS: process.env.LINTEL_HASH_THREADS || undefined,
};
// What the server will make of that environment (same loader, same machine).
const effective = loadConfig({ ...lintelEnv, LINTEL_ADMIN_PASSWORD: adminPassword }).password;

interface Lintel {
  server: LintelServer;
  /** Admin token scoped to project admin in domain Default. */
  token: string;
  validateSpec(duration: number): LoadSpec;
  issueSpec(duration: number): LoadSpec;
  /**
   * Waits until the requests autocannon abandoned when it stopped are worked off (the server keeps
   * hashing for them), so they do not eat into the next scenario.
   */
  drain(): Promise<void>;
}

const passwordAuth = (scope?: object, password = adminPassword) => JSON.stringify({
  auth: {
    identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password } } },
    ...(scope ? { scope } : {}),
  },
});

async function postTokens(url: string, body: string): Promise<Response> {
  return fetch(`${url}/v3/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(60_000) });
}

let lintelPromise: Promise<Lintel> | undefined;
let lintelFailed = false;
/** Starts Lintel on first use; later scenarios share it. A failed start is reported once. */
function lintel(): Promise<Lintel> {
  if (lintelFailed) return Promise.reject(new Error('Lintel did not start (see above)'));
  lintelPromise ??= (async () => {
    const server = await startLintel({ workDir, adminPassword, env: lintelEnv, cpuProfDir });
    const res = await postTokens(server.url, passwordAuth({ project: { name: 'admin', domain: { name: 'Default' } } }));
    const text = await res.text();
    const token = res.headers.get('x-subject-token');
    if (res.status !== 201 || !token) throw new Error(`admin token: POST /v3/auth/tokens answered ${res.status}: ${text.slice(0, 300)}`);
    const headers = { 'x-auth-token': token, 'x-subject-token': token };
    const check = await fetch(`${server.url}/v3/auth/tokens`, { headers });
    const checkBody = await check.text();
    if (check.status !== 200) throw new Error(`GET /v3/auth/tokens answered ${check.status}: ${checkBody.slice(0, 300)}`);
    const issueBody = passwordAuth();
    // A lone issuance: warms the path and tells how long one takes with an idle hash pool.
    const loneStart = performance.now();
    const lone = await postTokens(server.url, issueBody);
    await lone.arrayBuffer();
    if (lone.status !== 201) throw new Error(`unscoped POST /v3/auth/tokens answered ${lone.status}`);
    const loneMs = performance.now() - loneStart;
    return {
      server,
      token,
      validateSpec: (d) => ({ url: `${server.url}/v3/auth/tokens`, connections: validateConnections, duration: d, headers }),
      issueSpec: (d) => ({
        url: `${server.url}/v3/auth/tokens`, connections: issueConnections, duration: d, method: 'POST',
        headers: { 'content-type': 'application/json' }, body: issueBody,
        // Requests queue for the hash threads: allow far more than one bcrypt round trip.
        timeout: 60,
      }),
      async drain() {
        // An issuance as fast as a lone one found no queue in front of it.
        for (let i = 0; i < 50; i++) {
          const t = performance.now();
          await (await postTokens(server.url, issueBody)).arrayBuffer();
          if (performance.now() - t < loneMs * 1.5 + 20) return;
        }
      },
    };
  })();
  lintelPromise.catch(() => (lintelFailed = true));
  return lintelPromise;
}

// ------------------------------------------------------------------ the baseline server, started once, shared

let baselinePromise: Promise<Server> | undefined;
function baseline(): Promise<Server> {
  baselinePromise ??= startBaseline(workDir);
  return baselinePromise;
}
const baselineSpec = (srv: Server, d: number): LoadSpec => ({ url: `${srv.url}/`, connections: baselineConnections, duration: d });

/**
 * Measures `spec` in slices interleaved with baseline slices ({@link pairedLoad}): one row for the
 * load, compared with one row for the baseline measured beside it, whose label gives the spread
 * of the per-slice ratios.
 */
async function pairedRows(id: string, label: string, connections: number, spec: LoadSpec): Promise<Measurement[]> {
  const srv = await baseline();
  const r = await pairedLoad(spec, baselineSpec(srv, spec.duration), slices);
  const spread = r.sliceRatios.length > 1 ? ` (slices ${Math.min(...r.sliceRatios).toFixed(2)}–${Math.max(...r.sliceRatios).toFixed(2)}×)` : '';
  return [
    fromLoad(id, label, connections, r.load, `${id}-baseline`),
    { ...fromLoad(`${id}-baseline`, `  baseline interleaved${spread}`, baselineConnections, r.reference), rssMb: Number.NaN },
  ];
}

// ------------------------------------------------------------------ scenarios (run in this order)

let baselineBytes: number | undefined;

const scenarios: Scenario[] = [
  {
    id: 'baseline',
    name: 'baseline: bare node:http, ~1 KB JSON',
    async run(ctx) {
      const srv = await baseline();
      baselineBytes = (await (await fetch(`${srv.url}/`)).arrayBuffer()).byteLength;
      const spec = baselineSpec(srv, duration);
      if (warmup) await load({ ...spec, duration: warmup });
      ctx.watch(srv.child.pid);
      const r = await load(spec);
      return [fromLoad('baseline', 'baseline node:http GET (1 KB JSON)', baselineConnections, r, 'baseline')];
    },
  },
  {
    id: 'validate',
    name: 'Lintel start + token validation',
    async run(ctx) {
      const l = await lintel();
      if (warmup) await load(l.validateSpec(warmup));
      ctx.watch(l.server.child.pid);
      return pairedRows('validate', 'lintel GET /v3/auth/tokens (validate)', validateConnections, l.validateSpec(duration));
    },
  },
  {
    id: 'hash',
    name: `raw bcrypt compare rate (cost ${effective.bcryptRounds}, ${effective.hashThreads} thread(s))`,
    async run(ctx) {
      const child = spawnNode('hash-rate', {
        args: [join(DIST, 'bench/hash-rate.js')],
        env: cleanEnv({
          NODE_ENV: 'production',
          BENCH_HASH_THREADS: String(effective.hashThreads),
          BENCH_HASH_ROUNDS: String(effective.bcryptRounds),
          BENCH_DURATION_MS: String(duration * 1000),
        }),
        logFile: join(workDir, 'hash-rate.log'),
      });
      ctx.watch(child.pid);
      const code = await child.exited;
      const line = readFileSync(child.logFile, 'utf8').split('\n').reverse().find((l) => l.startsWith('{'));
      if (code !== 0 || !line) throw new Error(`hash-rate child exited ${code}:\n${child.logTail()}`);
      const r = JSON.parse(line) as HashRateResult;
      return [{
        id: 'hash', label: 'raw bcrypt compareSync on piscina', unit: 'hash/s', concurrency: r.threads,
        rate: r.rate, p50: r.p50, p99: r.p99, failures: 0,
      }];
    },
  },
  {
    id: 'issue',
    name: 'password issuance',
    async run(ctx) {
      const l = await lintel();
      ctx.watch(l.server.child.pid);
      const r = await load(l.issueSpec(duration));
      await l.drain();
      return [fromLoad('issue', 'lintel POST /v3/auth/tokens (password)', issueConnections, r, 'hash')];
    },
  },
  {
    id: 'keystone',
    name: `Keystone 22 password issuance (uWSGI, ${keystoneWorkers} workers), same machine`,
    async run() {
      // Debian's Keystone on SQLite, hashing at its default bcrypt cost (12): the rate Lintel's
      // issuance is held against (docs/performance.md, "Password issuance").
      const ks = await startKeystone('sqlite', { uwsgiWorkers: keystoneWorkers });
      try {
        const body = passwordAuth(undefined, KEYSTONE_ADMIN_PASSWORD);
        const first = await postTokens(ks.url, body);
        await first.arrayBuffer();
        if (first.status !== 201) throw new Error(`Keystone: POST /v3/auth/tokens answered ${first.status}`);
        const r = await load({
          url: `${ks.url}/v3/auth/tokens`, connections: issueConnections, duration, method: 'POST',
          headers: { 'content-type': 'application/json' }, body, timeout: 60,
        });
        return [fromLoad('keystone-issue', `keystone POST /v3/auth/tokens (password, ${keystoneWorkers} workers)`, issueConnections, r, 'hash')];
      } finally {
        await ks.destroy();
      }
    },
  },
  {
    id: 'mixed',
    name: 'mixed: validation + issuance together',
    async run(ctx) {
      const l = await lintel();
      ctx.watch(l.server.child.pid);
      const [v, i] = await Promise.all([load(l.validateSpec(duration)), load(l.issueSpec(duration))]);
      await l.drain();
      return [
        fromLoad('mixed-validate', 'mixed: validate', validateConnections, v, 'baseline'),
        fromLoad('mixed-issue', 'mixed: password issuance', issueConnections, i, 'hash'),
      ];
    },
  },
];

/** An OS-EC2 key of the admin and a request signed with it by SigV4, in ec2tokens' body shape. */
async function signedEc2Body(l: Lintel): Promise<string> {
  const userId = JSON.parse(Buffer.from(l.token.split('.')[1]!, 'base64url').toString()).sub as string;
  const projectId = await (await fetch(`${l.server.url}/v3/auth/tokens`, { headers: { 'x-auth-token': l.token, 'x-subject-token': l.token } })).json() as { token: { project: { id: string } } };
  const made = await fetch(`${l.server.url}/v3/users/${userId}/credentials/OS-EC2`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-auth-token': l.token }, body: JSON.stringify({ tenant_id: projectId.token.project.id }),
  });
  const { credential } = await made.json() as { credential: { access: string; secret: string } };
  const query = { Action: 'DescribeInstances', Version: '2016-11-15' };
  const signed = signV4({
    method: 'GET', host: 'ec2.example.com:8788', path: '/', query, body: '', accessKey: credential.access, secret: credential.secret,
    region: 'RegionOne', service: 'ec2', date: new Date(),
  });
  return JSON.stringify({
    credentials: {
      access: credential.access, signature: signed.signature, host: 'ec2.example.com:8788', verb: 'GET', path: '/', params: query,
      headers: { ...signed.headers, host: 'ec2.example.com:8788' }, body_hash: signed.bodyHash,
    },
  });
}

scenarios.push(
  {
    id: 'ec2tokens',
    name: 'ec2tokens: SigV4-signed request -> token',
    async run(ctx) {
      const l = await lintel();
      const body = await signedEc2Body(l);
      const spec: LoadSpec = {
        url: `${l.server.url}/v3/ec2tokens`, connections: validateConnections, duration, method: 'POST',
        headers: { 'content-type': 'application/json', 'x-auth-token': l.token }, body,
      };
      const first = await fetch(spec.url, { method: 'POST', headers: spec.headers, body });
      if (first.status !== 200) throw new Error(`POST /v3/ec2tokens answered ${first.status}: ${(await first.text()).slice(0, 300)}`);
      if (warmup) await load({ ...spec, duration: warmup });
      ctx.watch(l.server.child.pid);
      return pairedRows('ec2tokens', 'lintel POST /v3/ec2tokens (SigV4)', validateConnections, spec);
    },
  },
  {
    id: 'aksks',
    name: 'SODA aksks: create then delete',
    async run(ctx) {
      const l = await lintel();
      const { token } = l;
      const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string; openstack_project_id: string };
      const headers = { 'content-type': 'application/json', 'x-auth-token': token };
      const base = `/v1/${claims.openstack_project_id}/aksks`;
      const spec: LoadSpec = {
        url: l.server.multicloudUrl, connections: validateConnections, duration,
        requests: [
          { method: 'POST', path: base, headers, body: JSON.stringify({ credential: { project_id: claims.openstack_project_id, user_id: claims.sub } }) },
          { method: 'DELETE', path: `${base}/${claims.sub}`, headers: { 'x-auth-token': token } },
        ],
      };
      ctx.watch(l.server.child.pid);
      return pairedRows('aksks', 'multicloud POST+DELETE /v1/{p}/aksks', validateConnections, spec);
    },
  },
);

const targets: Target[] = [
  rateAtLeast('validate', 'validate-baseline', 0.4, 'validation req/s >= 40% of baseline'),
  p99Below('validate', 10, 'validation p99 < 10 ms'),
  rateAtLeast('issue', 'hash', 0.95, 'password issuance >= 95% of raw hash rate'),
  rateAtLeast('issue', 'keystone-issue', 0.95, "password issuance >= 95% of Keystone 22's"),
  p99Below('mixed-validate', 20, 'mixed: validation p99 < 20 ms'),
  rateAtLeast('ec2tokens', 'ec2tokens-baseline', 0.3, 'ec2tokens req/s >= 30% of baseline'),
  p99Below('ec2tokens', 15, 'ec2tokens p99 < 15 ms'),
];

// ------------------------------------------------------------------ run

const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = only?.filter((id) => !scenarios.some((s) => s.id === id)) ?? [];
if (unknown.length) {
  console.error(`BENCH_ONLY: unknown scenario(s) ${unknown.join(', ')}; known: ${scenarios.map((s) => s.id).join(', ')}`);
  process.exit(1);
}
const selected = (only?.length ? scenarios.filter((s) => only.includes(s.id)) : scenarios)
  .filter((s) => s.id !== 'keystone' || keystoneWorkers > 0);

const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
console.log(`Lintel benchmark: node ${process.version}, ${availableParallelism()} CPU(s) (${cpu}), loopback`);
console.log(`  ${duration} s per measured load, ${warmup} s warm-up; bcrypt cost ${effective.bcryptRounds}; `
  + `hash threads ${effective.hashThreads}${lintelEnv.LINTEL_HASH_THREADS ? ' (LINTEL_HASH_THREADS)' : ' (service default: one per core)'}, niceness ${effective.hashNice}`);
console.log(keystoneWorkers ? `  Keystone 22 for comparison: uWSGI, ${keystoneWorkers} workers, SQLite`
  : '  Keystone comparison off (BENCH_KEYSTONE_WORKERS=0, or Debian\'s keystone is not installed)');
console.log(`  work dir ${workDir}${keep ? ' (kept)' : ''}\n`);

const results: Measurement[] = [];
try {
  for (const s of selected) results.push(...(await runScenario(s)));
} finally {
  if (lintelPromise) {
    const l = await lintelPromise.catch(() => undefined);
    await l?.server.stop();
  }
  await (await baselinePromise?.catch(() => undefined))?.stop();
}

console.log(`\nResults (rate = 2xx responses/s; p50/p99 of 2xx responses; max = longest wait incl. requests unanswered at the end;\n RSS = peak VmRSS of the server process during the load; baseline body ${baselineBytes ?? '?'} B)\n`);
console.log(resultsTable(results));
const warned = warnings(results);
if (warned.length) console.log(`\nWarnings\n${warned.map((w) => `  ! ${w}`).join('\n')}`);
console.log('\nTargets (informative; the exit code does not depend on them)\n');
console.log(targetsTable(targets, results));
if (cpuProfDir) console.log(`\nCPU profiles of the Lintel server: ${cpuProfDir}`);
const broken = results.some((m) => m.error);
if (broken) {
  keepWorkDir = true;
  console.log(`\nSome scenarios could not run; the server logs are kept in ${workDir}`);
}
clearTimeout(watchdog);
process.exit(broken ? 1 : 0);
