import net from 'node:net';

/** What the proxy does with traffic: pass it, close new connections at once, or swallow it (a frozen server). */
export type ProxyMode = 'forward' | 'reject' | 'blackhole';

/**
 * A loopback TCP proxy for fault injection (there is no toxiproxy here): it forwards to a real
 * server and can reject new connections, freeze traffic, or cut every open connection.
 */
export class TcpProxy {
  mode: ProxyMode = 'forward';
  private readonly server = net.createServer((client) => this.accept(client));
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  /** Listens on an ephemeral loopback port and returns it. */
  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Destroys every open connection (both sides), as a crashed server or a broken network would. */
  cutAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Cuts everything and stops listening. */
  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private accept(client: net.Socket): void {
    this.track(client);
    if (this.mode === 'reject') {
      client.destroy();
      return;
    }
    if (this.mode === 'blackhole') return;
    const upstream = net.connect(this.targetPort, this.targetHost);
    this.track(upstream);
    client.on('data', (data) => { if (this.mode !== 'blackhole') upstream.write(data); });
    upstream.on('data', (data) => { if (this.mode !== 'blackhole') client.write(data); });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
