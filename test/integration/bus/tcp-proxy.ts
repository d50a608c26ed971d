import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between a client and RabbitMQ, to inject faults the way a network or a crashed
 * broker would (no toxiproxy here): freeze the broker's answers, or cut every connection.
 */
export class TcpProxy {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private frozen = false;
  private refusing = false;

  private constructor(private readonly server: Server) {}

  /** Listens on an ephemeral loopback port and forwards to `host:port`. */
  static async start(host: string, port: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server);
    server.on('connection', (client) => { proxy.accept(client, host, port); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The loopback port clients connect to. */
  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy is not listening');
    return address.port;
  }

  /** `url` with its host and port replaced by the proxy's. */
  route(url: string): string {
    const routed = new URL(url);
    routed.hostname = '127.0.0.1';
    routed.port = String(this.port);
    return routed.href;
  }

  /** Stops passing the broker's bytes to clients (acks, deliveries, heartbeats) without closing anything. */
  freeze(): void {
    this.frozen = true;
    for (const { upstream } of this.pairs) upstream.pause();
  }

  /** Passes the broker's bytes again. */
  thaw(): void {
    this.frozen = false;
    for (const { upstream } of this.pairs) upstream.resume();
  }

  /**
   * Makes the broker look down: new connections are accepted and closed at once (as a connection
   * refused would fail them), existing ones are untouched. {@link allow} undoes it.
   */
  refuse(): void {
    this.refusing = true;
  }

  /** Lets new connections through again. */
  allow(): void {
    this.refusing = false;
  }

  /** How many proxied connections are open. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Destroys every proxied connection at once, as a broker crash would look to the client. */
  cutAll(): void {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Destroys one proxied connection: the `index`-th still open, in the order they were opened. */
  cut(index: number): void {
    const pair = [...this.pairs][index];
    if (pair === undefined) throw new Error(`no proxied connection #${index} (${this.pairs.size} open)`);
    pair.client.destroy();
    pair.upstream.destroy();
    this.pairs.delete(pair);
  }

  /** Cuts every connection and stops listening. */
  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, host: string, port: number): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    const pair = { client, upstream };
    this.pairs.add(pair);
    if (this.frozen) upstream.pause();
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  }
}
