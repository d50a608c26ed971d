import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { closeNow, listenOnLoopback } from '../../support/ports';

/**
 * An HTTP proxy on 127.0.0.1 in front of a backend that counts the TCP connections clients open
 * to it (server side: accepted sockets, and the most open at once). It holds requests until
 * `batch` of them are waiting and then forwards them together, so a client allowed more
 * connections than `batch` is seen opening them while the first ones are still busy.
 */
export class SocketCountingProxy {
  /** Sockets accepted since start(). */
  accepted = 0;
  /** Most sockets open at the same time. */
  peakOpen = 0;
  private open = 0;
  private held: Array<() => void> = [];
  private server: Server | undefined;

  constructor(private readonly forwardTo: string, private readonly batch: number) {}

  /** Listens on a free port; resolves the base URL. */
  async start(): Promise<string> {
    const server = createServer((req, res) => this.hold(req, res));
    server.on('connection', (socket) => {
      this.accepted += 1;
      this.open += 1;
      this.peakOpen = Math.max(this.peakOpen, this.open);
      socket.once('close', () => { this.open -= 1; });
    });
    this.server = server;
    return listenOnLoopback(server);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeNow(server);
  }

  private hold(req: IncomingMessage, res: ServerResponse): void {
    this.held.push(() => this.forward(req, res));
    if (this.held.length < this.batch) return;
    for (const release of this.held.splice(0)) release();
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const target = new URL(req.url ?? '/', this.forwardTo);
    const upstream = httpRequest(target, { method: req.method, headers: { ...req.headers, connection: 'close' } }, (answer) => {
      const { connection: _connection, 'keep-alive': _keepAlive, ...headers } = answer.headers;
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  }
}
