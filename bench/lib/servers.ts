import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnNode, type Child } from './processes.js';

/** dist/ (this file is dist/bench/lib/servers.js once built). */
export const DIST = fileURLToPath(new URL('../../', import.meta.url));

/** A server under test: its child process and its base URL. */
export interface Server {
  readonly child: Child;
  readonly url: string;
  stop(): Promise<void>;
}

/** Free TCP ports on loopback (all held open together so they are distinct). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<import('node:net').Server>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `url` until it answers 2xx; fails if the child exits or `timeoutMs` passes. */
export async function waitReady(child: Child, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.hasExited()) {
      throw new Error(`${child.name} exited (${await child.exited}) before it was ready (log ${child.logFile})\n${child.logTail()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${child.name} not ready at ${url} after ${timeoutMs} ms: ${last} (log ${child.logFile})\n${child.logTail()}`);
}

/** The environment of a child: ours without any LINTEL_* (only what a server is given counts). */
export function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LINTEL_')) env[k] = v;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** The bare `node:http` reference server (bench/baseline-server.ts). */
export async function startBaseline(workDir: string): Promise<Server> {
  const [port] = await freePorts(1);
  const child = spawnNode('baseline', {
    args: [join(DIST, 'bench/baseline-server.js')],
    env: cleanEnv({ NODE_ENV: 'production', BENCH_PORT: String(port) }),
    logFile: join(workDir, 'baseline.log'),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(child, `${url}/`);
  } catch (e) {
    await child.stop();
    throw e;
  }
  return { child, url, stop: () => child.stop() };
}

export interface LintelOptions {
  workDir: string;
  adminPassword: string;
  /** LINTEL_* variables added to (and overriding) the defaults below. */
  env?: Record<string, string | undefined>;
  /** Writes a V8 CPU profile of the server (main thread and hash workers) into this directory. */
  cpuProfDir?: string;
}

export interface LintelServer extends Server {
  /** Base URL of the multicloud app (SODA aksks). */
  readonly multicloudUrl: string;
  /** The complete LINTEL_* environment the server was given. */
  readonly lintelEnv: Record<string, string>;
}

/**
 * `node dist/apps/lintel/src/main.js` (everything in one process) on a fresh SQLite database in
 * `workDir`, on free loopback ports; resolves once `GET /v3` answers.
 */
export async function startLintel(o: LintelOptions): Promise<LintelServer> {
  const [identityPort, multicloudPort] = await freePorts(2);
  const dataDir = join(o.workDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const lintelEnv: Record<string, string> = {
    LINTEL_DATA_DIR: dataDir,
    LINTEL_DATABASE_URL: `sqlite:${join(o.workDir, 'lintel.sqlite')}`,
    LINTEL_ADMIN_PASSWORD: o.adminPassword,
    LINTEL_LOG_LEVEL: 'warn',
    LINTEL_BIND: '127.0.0.1',
    LINTEL_IDENTITY_PORT: String(identityPort),
    LINTEL_MULTICLOUD_PORT: String(multicloudPort),
  };
  for (const [k, v] of Object.entries(o.env ?? {})) if (v !== undefined && v !== '') lintelEnv[k] = v;
  if (o.cpuProfDir) mkdirSync(o.cpuProfDir, { recursive: true });
  const child = spawnNode('lintel', {
    args: [join(DIST, 'apps/lintel/src/main.js')],
    nodeFlags: o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : [],
    env: cleanEnv({ NODE_ENV: 'production', ...lintelEnv }),
    logFile: join(o.workDir, 'lintel.log'),
  });
  const url = `http://127.0.0.1:${identityPort}`;
  try {
    await waitReady(child, `${url}/v3`);
  } catch (e) {
    await child.stop();
    throw e;
  }
  return { child, url, multicloudUrl: `http://127.0.0.1:${multicloudPort}`, lintelEnv, stop: () => child.stop(10_000) };
}
