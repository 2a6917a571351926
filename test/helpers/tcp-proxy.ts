import { connect, createServer, type Server, type Socket } from 'node:net';

/** A loopback TCP proxy a test can cut and restore, to simulate a database outage. */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly port: number,
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  /** Refuses new connections and resets every open one. */
  async cut(): Promise<void> {
    const closed = new Promise<void>((r) => this.server?.close(() => r()) ?? r());
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
    await closed;
    this.server = undefined;
  }
}
