import { EventEmitter } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Backend {
  host: string;
  port: number;
}

/**
 * An active HTTP health check, as an operator's load balancer runs one (HAProxy's `option
 * httpchk` with `inter`, `fall` and `rise`): every `intervalMs` each backend's `path` is fetched;
 * `fall` failures in a row (not 200, or no answer within `timeoutMs`) take it out of the rotation,
 * `rise` successes in a row put it back.
 */
export interface HealthCheck {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  fall: number;
  rise: number;
}

interface BackendState {
  up: boolean;
  streak: number;
  /** Client sockets currently forwarded to this backend. */
  clients: Set<Socket>;
}

/**
 * A loopback TCP load balancer: each client connection goes to the next backend in turn that its
 * health check holds up (all of them when none is, as nginx does rather than refuse everyone).
 * When a backend is taken out, the connections to it are closed (HAProxy's `on-marked-down
 * shutdown-sessions`), so clients that keep connections alive move over at their next request.
 * Emits `down` and `up` with the backend's index.
 */
export class TcpBalancer extends EventEmitter {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly state: BackendState[];
  private next = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly port: number,
    readonly backends: Backend[],
    private readonly health?: HealthCheck,
  ) {
    super();
    this.state = backends.map(() => ({ up: true, streak: 0, clients: new Set() }));
  }

  /** Whether backend `i` is in the rotation. */
  isUp(i: number): boolean {
    return this.state[i]!.up;
  }

  async start(): Promise<void> {
    this.server = createServer((client) => this.forward(client));
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    if (this.health && !this.timers.size) this.backends.forEach((_, i) => this.schedule(i));
  }

  /** Refuses new connections and resets every open one (the health checks stop too). */
  async cut(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closed = new Promise<void>((r) => this.server?.close(() => r()) ?? r());
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
    await closed;
    this.server = undefined;
  }

  private pick(): number {
    const healthy = this.state.map((s, i) => (s.up ? i : -1)).filter((i) => i >= 0);
    const pool = healthy.length ? healthy : this.backends.map((_, i) => i);
    return pool[this.next++ % pool.length]!;
  }

  private forward(client: Socket): void {
    const i = this.pick();
    const { host, port } = this.backends[i]!;
    const upstream = connect(port, host);
    const pinned = this.state[i]!.clients;
    pinned.add(client);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => {
        this.sockets.delete(s);
        pinned.delete(s);
      });
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** Each backend is checked on its own clock: a slow answer from one does not delay the others' checks. */
  private schedule(i: number): void {
    const timer = setTimeout(async () => {
      const { host, port } = this.backends[i]!;
      const ok = await fetch(`http://${host}:${port}${this.health!.path}`, { signal: AbortSignal.timeout(this.health!.timeoutMs) })
        .then(async (r) => {
          await r.arrayBuffer();
          return r.status === 200;
        }, () => false);
      if (!this.timers.delete(timer)) return;
      this.observe(i, ok);
      this.schedule(i);
    }, this.health!.intervalMs);
    timer.unref();
    this.timers.add(timer);
  }

  private observe(i: number, ok: boolean): void {
    const s = this.state[i]!;
    if (ok === s.up) {
      s.streak = 0;
      return;
    }
    if (++s.streak < (s.up ? this.health!.fall : this.health!.rise)) return;
    s.up = ok;
    s.streak = 0;
    if (!ok) {
      for (const c of s.clients) c.destroy();
      s.clients.clear();
    }
    this.emit(ok ? 'up' : 'down', i);
  }
}

/** A loopback TCP proxy to one target that a test can cut and restore, to simulate a database outage. */
export class TcpProxy extends TcpBalancer {
  constructor(port: number, targetHost: string, targetPort: number) {
    super(port, [{ host: targetHost, port: targetPort }]);
  }
}
