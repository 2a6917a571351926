import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';

/**
 * A three-node MariaDB Galera cluster on loopback, started by the tests themselves (docs/galera.md,
 * "How it is tested"): Debian's `mariadb-server` and `galera-4`, one `mariadbd` per node with its
 * own data directory under one temporary directory, the first bootstrapped with
 * `--wsrep-new-cluster`, the others joining it by state transfer (rsync).
 */

const MARIADBD = '/usr/sbin/mariadbd';
const PROVIDERS = ['/usr/lib/galera/libgalera_smm.so', '/usr/lib/libgalera_smm.so', '/usr/lib64/galera-4/libgalera_smm.so', '/usr/lib64/galera/libgalera_smm.so'];
const INSTALL_DB = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'];
/** The loopback ports the clusters of this suite take, 4 per node (SQL, gcomm, IST, SST). */
const PORT_RANGE = { first: 13300, last: 13399 };
const PORTS_PER_NODE = 4;
/** How long a node may take to start and reach Synced (SST included) on a busy 2-core machine. */
const NODE_START_MS = 180_000;
const NODE_STOP_MS = 15_000;
/** Output kept per node, for the error when it fails to start. */
const OUTPUT_KEPT = 64 * 1024;

const found = (paths: string[]) => paths.find((p) => existsSync(p));
const onPath = (cmd: string) => (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, cmd)));

/** What is missing to run a cluster here, or undefined. */
export function galeraMissing(): string | undefined {
  const missing = [
    existsSync(MARIADBD) ? '' : `${MARIADBD} (mariadb-server)`,
    found(PROVIDERS) ? '' : 'libgalera_smm.so (galera-4)',
    found(INSTALL_DB) ? '' : 'mariadb-install-db (mariadb-server)',
    onPath('rsync') ? '' : 'rsync (state transfers)',
    onPath('wsrep_sst_rsync') ? '' : 'wsrep_sst_rsync (mariadb-server)',
  ].filter(Boolean);
  return missing.length ? missing.join(', ') : undefined;
}

/**
 * The `skip` option of a Galera suite: false when a cluster can run here, a message saying what to
 * install when it cannot; with CI=true a missing Galera fails the run instead of skipping it.
 */
export function galeraSkip(): string | false {
  const missing = galeraMissing();
  if (!missing) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true but the MariaDB Galera suite cannot run, missing: ${missing}. .ci/run installs mariadb-server, galera-4 and rsync.`);
  return `MariaDB Galera is not installed (missing: ${missing}); apt-get install mariadb-server galera-4 rsync to run this suite`;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** The first block of `count` consecutive free ports in the suite's range. */
async function freeBlock(count: number): Promise<number> {
  for (let base = PORT_RANGE.first; base + count - 1 <= PORT_RANGE.last; base += count) {
    let free = true;
    for (let p = base; p < base + count && free; p++) free = await portFree(p);
    if (free) return base;
  }
  throw new Error(`no ${count} free consecutive loopback ports in ${PORT_RANGE.first}-${PORT_RANGE.last}`);
}

/**
 * mariadbd refuses to run as root unless told to, and its rsync state transfer, started by root,
 * would switch to `nobody` and fail to write the data directory: as root the nodes run as `mysql`
 * (Debian's package creates it) and own their directory; as anyone else, as that user.
 */
function runAs(): { user?: string; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  try {
    const uid = Number(execFileSync('id', ['-u', 'mysql'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'mysql'], { encoding: 'utf8' }).trim());
    return { user: 'mysql', uid, gid };
  } catch {
    return { user: 'root' };
  }
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (!lstatSync(path).isDirectory()) return;
  for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid);
}

export interface NodeStatus {
  clusterSize: number;
  /** wsrep_local_state_comment: Synced, Donor/Desynced, Joining, Joined... */
  state: string;
  /** wsrep_cluster_status: Primary, or non-Primary when cut off from the majority. */
  component: string;
  ready: boolean;
}

/** Live node processes of every cluster of this process, killed on exit whatever happened. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export class GaleraNode {
  private child: ChildProcess | undefined;
  private out = '';
  private exit: Promise<void> = Promise.resolve();

  constructor(
    private readonly cluster: GaleraCluster,
    readonly index: number,
    /** SQL port; gcomm, IST and SST take the next three. */
    readonly port: number,
    readonly dataDir: string,
  ) {}

  get name(): string {
    return `node${this.index}`;
  }

  get gcommPort(): number {
    return this.port + 1;
  }

  /** A root URL on this node (no password, loopback only); add the database name after the slash. */
  url(database = ''): string {
    return `mysql://root@127.0.0.1:${this.port}/${database}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** How the node caught up when it last joined, from its log: `IST (n writesets)`, `SST`, or undefined. */
  transfer(): string | undefined {
    if (/rsync SST completed on joiner/.test(this.out)) return 'SST';
    const ist = /Receiving IST: (\d+) writesets/.exec(this.out);
    return ist ? `IST (${ist[1]} writesets)` : undefined;
  }

  /** What the node wrote lately (its error log goes to stderr). */
  output(): string {
    return this.out;
  }

  /** mariadbd's command line for this node, then `extra`. */
  private args(extra: string[]): string[] {
    const c = this.cluster;
    const opts = [
      `gmcast.listen_addr=tcp://127.0.0.1:${this.gcommPort}`,
      `ist.recv_addr=127.0.0.1:${this.port + 2}`,
      'gcache.size=64M',
      // A node that stops answering is dropped from the cluster after 2 s instead of Galera's
      // default 5 s: the others stall their commits until then (docs/galera.md, "Losing a node").
      'evs.suspect_timeout=PT2S',
      'evs.inactive_timeout=PT4S',
      'evs.keepalive_period=PT0.5S',
      'evs.inactive_check_period=PT0.5S',
    ];
    return [
      '--no-defaults',
      ...(c.user ? [`--user=${c.user}`] : []),
      `--datadir=${this.dataDir}`,
      `--socket=${this.dataDir}.sock`,
      `--pid-file=${this.dataDir}.pid`,
      `--port=${this.port}`,
      '--bind-address=127.0.0.1',
      '--skip-name-resolve',
      '--binlog-format=ROW',
      '--default-storage-engine=InnoDB',
      '--innodb-autoinc-lock-mode=2',
      '--innodb-buffer-pool-size=64M',
      '--innodb-log-file-size=32M',
      '--innodb-flush-log-at-trx-commit=2',
      '--performance-schema=OFF',
      '--max-connections=300',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      '--wsrep-on=ON',
      `--wsrep-provider=${c.provider}`,
      `--wsrep-cluster-name=${c.name}`,
      `--wsrep-cluster-address=gcomm://${c.nodes.map((n) => `127.0.0.1:${n.gcommPort}`).join(',')}`,
      `--wsrep-node-name=${this.name}`,
      `--wsrep-node-address=127.0.0.1:${this.gcommPort}`,
      `--wsrep-node-incoming-address=127.0.0.1:${this.port}`,
      `--wsrep-provider-options=${opts.join(';')}`,
      '--wsrep-sst-method=rsync',
      `--wsrep-sst-receive-address=127.0.0.1:${this.port + 3}`,
      ...extra,
    ];
  }

  /**
   * What Debian's mariadb.service does before it starts a node (galera_recovery): reads the last
   * committed position from InnoDB with `--wsrep-recover`. A node killed uncleanly has no position
   * in grastate.dat; given this one it rejoins by IST (the writes it missed) instead of a whole SST.
   */
  async recoverPosition(): Promise<string | undefined> {
    if (this.child) throw new Error(`${this.name} is running`);
    const out = await new Promise<string>((resolve) => {
      execFile(MARIADBD, this.args(['--wsrep-recover']), { timeout: NODE_START_MS, maxBuffer: 4 * OUTPUT_KEPT }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
    });
    return /WSREP: Recovered position:\s*([0-9a-f-]{36}:-?\d+)/.exec(out)?.[1];
  }

  /**
   * Starts mariadbd; `bootstrap` makes it a new cluster of its own (`--wsrep-new-cluster`),
   * `position` (from `recoverPosition`) tells it where its data stands.
   */
  start(bootstrap = false, position?: string): void {
    if (this.child) throw new Error(`${this.name} is already running`);
    const args = this.args([...(bootstrap ? ['--wsrep-new-cluster'] : []), ...(position ? [`--wsrep-start-position=${position}`] : [])]);
    // A process group of its own: the state transfer scripts and their rsync go with the node.
    const child = spawn(MARIADBD, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.out = '';
    const keep = (d: Buffer) => {
      this.out += d;
      if (this.out.length > OUTPUT_KEPT * 2) this.out = this.out.slice(-OUTPUT_KEPT);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    live.add(child);
    this.child = child;
    this.exit = new Promise((r) => child.once('exit', () => {
      live.delete(child);
      if (this.child === child) this.child = undefined;
      r();
    }));
  }

  /** Sends `signal` to the node's process group and waits for mariadbd to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
    await this.exit;
  }

  /** SIGTERM (a clean shutdown), SIGKILL if that takes longer than NODE_STOP_MS. */
  async stop(): Promise<void> {
    if (!this.child) return;
    const timer = setTimeout(() => void this.kill('SIGKILL'), NODE_STOP_MS);
    await this.kill('SIGTERM');
    clearTimeout(timer);
  }

  /** Runs `fn` on a fresh root connection to this node. */
  async withConnection<T>(fn: (c: Connection) => Promise<T>, database = ''): Promise<T> {
    const conn = await createConnection({ uri: this.url(database), connectTimeout: 2000 });
    try {
      return await fn(conn);
    } finally {
      await conn.end().catch(() => conn.destroy());
    }
  }

  async status(): Promise<NodeStatus> {
    return this.withConnection(async (c) => {
      const [rows] = await c.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_local_state_comment', 'wsrep_cluster_status', 'wsrep_ready')");
      const v = Object.fromEntries((rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name, r.Value]));
      return { clusterSize: Number(v.wsrep_cluster_size), state: v.wsrep_local_state_comment ?? '', component: v.wsrep_cluster_status ?? '', ready: v.wsrep_ready === 'ON' };
    });
  }

  /** Waits until this node is Synced in a Primary component of `size` nodes. */
  async waitSynced(size: number, timeoutMs = NODE_START_MS): Promise<NodeStatus> {
    const until = Date.now() + timeoutMs;
    let last: NodeStatus | string = 'no answer yet';
    for (;;) {
      if (!this.child) throw new Error(`${this.name} exited while starting:\n${this.out.slice(-4000)}`);
      try {
        const s = await this.status();
        last = s;
        if (s.ready && s.state === 'Synced' && s.component === 'Primary' && s.clusterSize === size) return s;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > until) throw new Error(`${this.name} not Synced in a cluster of ${size} after ${timeoutMs} ms (last: ${JSON.stringify(last)}):\n${this.out.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export class GaleraCluster {
  readonly nodes: GaleraNode[] = [];
  readonly name = `lintel-test-${randomBytes(4).toString('hex')}`;
  readonly provider = found(PROVIDERS)!;
  readonly user: string | undefined;
  private readonly owner: { uid?: number; gid?: number };

  private constructor(
    readonly dir: string,
    basePort: number,
    size: number,
  ) {
    const who = runAs();
    this.user = who.user;
    this.owner = who;
    for (let i = 0; i < size; i++) this.nodes.push(new GaleraNode(this, i, basePort + i * PORTS_PER_NODE, join(dir, `n${i}`)));
  }

  /**
   * Makes the data directories (one `mariadb-install-db`, copied: the joiners are overwritten by
   * their state transfer anyway), bootstraps node 0, then starts the others together and waits
   * until all are Synced in one Primary component.
   */
  static async start(size = 3): Promise<GaleraCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'lintel-galera-'));
    const cluster = new GaleraCluster(dir, await freeBlock(size * PORTS_PER_NODE), size);
    try {
      const first = cluster.nodes[0]!.dataDir;
      if (cluster.owner.uid !== undefined) chownSync(dir, cluster.owner.uid, cluster.owner.gid!);
      try {
        execFileSync(found(INSTALL_DB)!, ['--no-defaults', `--datadir=${first}`, ...(cluster.user ? [`--user=${cluster.user}`] : []),
          '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: 'pipe', encoding: 'utf8' });
      } catch (e) {
        throw new Error(`mariadb-install-db failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
      }
      for (const n of cluster.nodes.slice(1)) cpSync(first, n.dataDir, { recursive: true });
      if (cluster.owner.uid !== undefined) chownTree(dir, cluster.owner.uid, cluster.owner.gid!);
      cluster.nodes[0]!.start(true);
      await cluster.nodes[0]!.waitSynced(1);
      for (const n of cluster.nodes.slice(1)) n.start();
      await Promise.all(cluster.nodes.map((n) => n.waitSynced(size)));
      return cluster;
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }

  /** Stops every node (cleanly, or killed after NODE_STOP_MS) and removes the data directories. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
