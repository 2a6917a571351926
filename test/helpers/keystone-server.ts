import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { onPath, skipUnless } from './commands.js';
import { OPENSTACK } from './openstack.js';
import { freePort } from './processes.js';

/**
 * A real Keystone for a test: Debian's `keystone` package (Keystone 22, Zed), configured in a
 * private state directory, its database on SQLite or on a fresh MariaDB database, set up the way
 * an operator does (`keystone-manage db_sync`, `fernet_setup`, `credential_setup`, `bootstrap`)
 * and served on loopback by the package's own WSGI entry point (`keystone-wsgi-public`, the
 * standard library's server: one process, no system service).
 */

export const KEYSTONE_MANAGE = onPath('keystone-manage');
const KEYSTONE_WSGI = onPath('keystone-wsgi-public');
/** The `skip` option of a suite that runs a real Keystone (fails instead in CI, which installs it). */
export const skipWithoutKeystone = skipUnless(KEYSTONE_MANAGE && KEYSTONE_WSGI && OPENSTACK,
  "Debian's keystone (keystone-manage, keystone-wsgi-public) and the openstack CLI are not installed (apt-get install keystone)");

/** The bootstrap admin's password in these Keystones (test-only). */
export const KEYSTONE_ADMIN_PASSWORD = 'keystone-admin-pw';
const STEP_TIMEOUT_MS = 240_000;

export interface KeystoneServer {
  backend: 'sqlite' | 'mariadb';
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  state: string;
  /** Keystone's `[database] connection`, as an operator would pass it to the importer. */
  connection: string;
  /** Keystone's credential key repository. */
  credentialKeys: string;
  /** Its keystone.conf. */
  conf: string;
  /** Runs Keystone's own Python with its configuration loaded (`keystone.conf.CONF`). */
  python(code: string, input?: string): Promise<string>;
  /** Runs one SQL statement on Keystone's database. */
  sql(statement: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  /** The last error lines of Keystone's own log, for a failure message. */
  errors(): string;
  /** Stops the server; the state and the database stay (for the import). */
  stop(): Promise<void>;
  /** Stops the server and removes the state directory and the database. */
  destroy(): Promise<void>;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { env, timeout: STEP_TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')}: ${err.message}\n${stderr.slice(-3000)}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port for Keystone (and, after the cut-over, for Lintel): `LINTEL_TEST_KEYSTONE_PORTS=5071-5079` picks from a range. */
async function keystonePort(): Promise<number> {
  const range = /^(\d+)-(\d+)$/.exec(process.env.LINTEL_TEST_KEYSTONE_PORTS ?? '');
  if (!range) return freePort();
  for (let p = Number(range[1]); p <= Number(range[2]); p++) if (await portFree(p)) return p;
  throw new Error(`no free port in LINTEL_TEST_KEYSTONE_PORTS=${process.env.LINTEL_TEST_KEYSTONE_PORTS}`);
}

const UWSGI = onPath('uwsgi-core');

export interface KeystoneOptions {
  /** Where a MariaDB Keystone gets its database (root URL; a fresh database is made). */
  mysqlRootUrl?: string;
  /**
   * Serve with uWSGI and this many worker processes, as deployments do (the benchmark compares
   * with it: `bench/run.ts`), instead of the package's single-process development server.
   * Needs Debian's `uwsgi-core` and `uwsgi-plugin-python3`.
   */
  uwsgiWorkers?: number;
}

/** The command line that serves Keystone's public WSGI application on `port`. */
function serverCommand(port: number, state: string, opts: KeystoneOptions): [string, string[]] {
  if (!opts.uwsgiWorkers) return [KEYSTONE_WSGI!, ['--host', '127.0.0.1', '--port', String(port)]];
  if (!UWSGI) throw new Error("uwsgi-core is not installed (apt-get install uwsgi-core uwsgi-plugin-python3)");
  // One request per connection, as Debian's own unit serves it (--http-socket); workers started
  // after the fork (--lazy-apps) so each has its own database connections.
  return [UWSGI, ['--plugin', 'python3', '--http-socket', `127.0.0.1:${port}`, '--add-header', 'Connection: close',
    '--wsgi-file', KEYSTONE_WSGI!, '--master', '--processes', String(opts.uwsgiWorkers), '--threads', '1',
    '--lazy-apps', '--die-on-term', '--no-orphans', '--thunder-lock', '--buffer-size', '65535', '--listen', '128',
    '--disable-logging', '--chdir', state]];
}

export async function startKeystone(backend: 'sqlite' | 'mariadb', opts: KeystoneOptions = {}): Promise<KeystoneServer> {
  const state = mkdtempSync(join(tmpdir(), 'ksref-import-'));
  const port = await keystonePort();
  const url = `http://127.0.0.1:${port}`;
  const fernetKeys = join(state, 'fernet-keys');
  const credentialKeys = join(state, 'credential-keys');
  for (const d of [fernetKeys, credentialKeys, join(state, 'log')]) mkdirSync(d, { mode: 0o700 });
  chmodSync(state, 0o700);

  let connection: string;
  let dropDatabase = async () => undefined as void;
  let sqlite: Database.Database | undefined;
  let mysqlUrl: URL | undefined;
  if (backend === 'sqlite') {
    connection = `sqlite:///${join(state, 'keystone.db')}`;
  } else {
    if (!opts.mysqlRootUrl) throw new Error('the MariaDB back end needs a MariaDB URL');
    const name = `keystone_t_${randomBytes(6).toString('hex')}`;
    const root = await createConnection(opts.mysqlRootUrl);
    try {
      await root.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8 COLLATE utf8_general_ci`);
    } finally {
      await root.end();
    }
    mysqlUrl = new URL(opts.mysqlRootUrl);
    mysqlUrl.pathname = `/${name}`;
    const auth = `${mysqlUrl.username || 'root'}${mysqlUrl.password ? `:${mysqlUrl.password}` : ''}`;
    connection = `mysql+pymysql://${auth}@${mysqlUrl.hostname}:${mysqlUrl.port || 3306}/${name}?charset=utf8`;
    dropDatabase = async () => {
      const c = await createConnection(opts.mysqlRootUrl!);
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await c.end();
      }
    };
  }

  const conf = join(state, 'keystone.conf');
  writeFileSync(conf, [
    '[DEFAULT]', `log_dir = ${join(state, 'log')}`, 'log_file = keystone.log', 'use_stderr = false', '',
    '[database]', `connection = ${connection}`, '',
    '[fernet_tokens]', `key_repository = ${fernetKeys}`, '',
    '[fernet_receipts]', `key_repository = ${fernetKeys}`, '',
    // Keystone's in-process cache, as deployments run it (with memcached): a request of the CLI
    // then costs Keystone a fraction of the time; the database is written the same. Not for
    // credentials: Keystone decrypts a cached credential in place, which only a cache that
    // copies values (memcached) survives.
    '[credential]', `key_repository = ${credentialKeys}`, 'caching = false', '',
    '[cache]', 'enabled = true', 'backend = dogpile.cache.memory', '',
  ].join('\n'));
  const env: NodeJS.ProcessEnv = { ...process.env, OS_KEYSTONE_CONFIG_DIR: state, OS_KEYSTONE_CONFIG_FILES: 'keystone.conf' };
  const manage = (...args: string[]) => run(KEYSTONE_MANAGE!, ['--config-file', conf, ...args], env);

  let server: ChildProcess | undefined;
  let serverErr = '';
  const stop = async () => {
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  };
  const ks: KeystoneServer = {
    backend, port, url, state, connection, credentialKeys, conf,
    python: (code, input) => run('/usr/bin/python3', ['-c', `import keystone.conf\nkeystone.conf.configure()\nkeystone.conf.CONF(args=[], project="keystone", default_config_files=[${JSON.stringify(conf)}])\n${code}`], env, input),
    sql: async (statement, params = []) => {
      if (backend === 'sqlite') {
        sqlite ??= new Database(join(state, 'keystone.db'));
        const s = sqlite.prepare(statement);
        return s.reader ? (s.all(...(params as never[])) as Array<Record<string, unknown>>) : (s.run(...(params as never[])), []);
      }
      const c = await createConnection(mysqlUrl!.toString());
      try {
        const [rows] = await c.query(statement, params);
        return Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : [];
      } finally {
        await c.end();
      }
    },
    errors: () => {
      try {
        // The first line of each logged error (with its request id), not the tracebacks.
        const lines = readFileSync(join(state, 'log', 'keystone.log'), 'utf8').split('\n').filter((l) => / ERROR \S+ \[/.test(l));
        return `${lines.slice(-10).map((l) => l.slice(0, 600)).join('\n')}\nits server's stderr:\n${serverErr.split('\n').filter((l) => !/" [1-4]\d\d \d+$/.test(l)).join('\n').slice(-3000)}`;
      } catch {
        return serverErr;
      }
    },
    stop,
    destroy: async () => {
      await stop();
      sqlite?.close();
      await dropDatabase();
      rmSync(state, { recursive: true, force: true });
    },
  };

  try {
    // The key repositories do not need the database: set up alongside the schema.
    await Promise.all([
      manage('db_sync'),
      manage('fernet_setup', '--keystone-user', String(process.getuid?.() ?? 0), '--keystone-group', String(process.getgid?.() ?? 0)),
      manage('credential_setup', '--keystone-user', String(process.getuid?.() ?? 0), '--keystone-group', String(process.getgid?.() ?? 0)),
    ]);
    // Keystone's connection pool holds a reader while it writes: with SQLite's rollback journal
    // that is "database is locked"; WAL is what a SQLite Keystone needs to serve at all.
    if (backend === 'sqlite') {
      const db = new Database(join(state, 'keystone.db'));
      db.pragma('journal_mode = WAL');
      db.close();
    }
    await manage('bootstrap', '--bootstrap-password', KEYSTONE_ADMIN_PASSWORD, '--bootstrap-username', 'admin', '--bootstrap-project-name', 'admin',
      '--bootstrap-role-name', 'admin', '--bootstrap-service-name', 'keystone', '--bootstrap-region-id', 'RegionOne',
      '--bootstrap-admin-url', `${url}/v3/`, '--bootstrap-internal-url', `${url}/v3/`, '--bootstrap-public-url', `${url}/v3/`);
    const [command, args] = serverCommand(port, state, opts);
    server = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    server.stderr!.on('data', (d) => (serverErr = (serverErr + d).slice(-8000)));
    const until = Date.now() + 90_000;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`${command} exited (${server.exitCode}): ${serverErr}`);
      try {
        if ((await fetch(`${url}/v3`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > until) throw new Error(`Keystone did not answer on ${url}/v3 within 90 s: ${serverErr}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (e) {
    await ks.destroy().catch(() => undefined);
    throw e;
  }
  return ks;
}

/**
 * Runs many `openstack` commands in one process (the CLI's interactive mode reads them from
 * stdin, authenticating once). Arguments may not contain spaces: that mode splits on whitespace.
 * Returns the output of each command that asks for `-f json`, in order; a command that fails
 * fails the whole batch.
 */
export async function openstackBatch(commands: string[][], env: NodeJS.ProcessEnv): Promise<any[]> {
  for (const c of commands) if (c.some((a) => /\s/.test(a) || a === '')) throw new Error(`openstackBatch: an argument of "${c.join(' ')}" is empty or has a space`);
  const script = commands.map((c) => `${c.join(' ')}\n`).join('');
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const child = execFile(OPENSTACK!, [], { env, timeout: STEP_TIMEOUT_MS * 2, maxBuffer: 64 << 20 }, (err, out, errOut) => {
      if (err) reject(new Error(`openstack (batch): ${err.message}\n${errOut.slice(-3000)}`));
      else resolve({ stdout: out, stderr: errOut });
    });
    child.stdin!.end(script);
  });
  const values = jsonValues(stdout);
  const expected = commands.filter((c) => c.join(' ').includes('-f json')).length;
  if (stderr.trim() || values.length !== expected) {
    throw new Error(`openstack (batch): ${values.length} outputs for ${expected} commands\nstderr: ${stderr.slice(-3000)}\nstdout: ${stdout.slice(-1500)}`);
  }
  return values;
}

/** The JSON documents printed one after another (objects and arrays). */
export function jsonValues(text: string): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const start = i;
    if (text[i] !== '{' && text[i] !== '[') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
      out.push(JSON.parse(text.slice(start, i)));
      continue;
    }
    let depth = 0;
    let inString = false;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      }
    }
    out.push(JSON.parse(text.slice(start, i)));
  }
  return out;
}
