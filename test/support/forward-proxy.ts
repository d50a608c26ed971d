import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import { closeNow, listenOnLoopback } from './ports';

/**
 * A forward proxy as corporate networks run them, on 127.0.0.1: CONNECT tunnels (for https
 * targets) and absolute-URL requests (for http targets), optionally only with a
 * Proxy-Authorization header. It records what it was asked for.
 */
export class ForwardProxy {
  /** `host:port` of each CONNECT tunnel opened. */
  readonly tunnels: string[] = [];
  /** Absolute URL of each request forwarded. */
  readonly forwarded: string[] = [];
  /** Proxy-Authorization of each request or tunnel (undefined when none was sent). */
  readonly authorizations: (string | undefined)[] = [];
  /** TCP connections callers opened to the proxy. */
  connections = 0;
  private server: Server | undefined;
  /** Tunnel sockets: once CONNECTed, the HTTP server no longer closes them itself. */
  private readonly sockets = new Set<{ destroy(): void }>();

  /** `requiredAuthorization`: the Proxy-Authorization value to insist on (407 otherwise). */
  constructor(private readonly requiredAuthorization?: string) {}

  /** Listens on a free port; resolves the proxy's URL. */
  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const authorization = req.headers['proxy-authorization'];
      this.authorizations.push(authorization);
      if (!this.allows(authorization)) {
        res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
        return;
      }
      const target = String(req.url);
      this.forwarded.push(target);
      const headers = { ...req.headers };
      delete headers['proxy-authorization'];
      delete headers['proxy-connection'];
      const upstream = httpRequest(target, { method: req.method, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    server.on('connection', () => { this.connections += 1; });
    server.on('connect', (req, client) => {
      const authorization = req.headers['proxy-authorization'];
      this.authorizations.push(authorization);
      if (!this.allows(authorization)) {
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
        return;
      }
      this.tunnels.push(String(req.url));
      const [host, port] = String(req.url).split(':');
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      this.sockets.add(client).add(upstream);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    this.server = server;
    return listenOnLoopback(server);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await closeNow(this.server);
  }

  private allows(authorization: string | undefined): boolean {
    return this.requiredAuthorization === undefined || authorization === this.requiredAuthorization;
  }
}
