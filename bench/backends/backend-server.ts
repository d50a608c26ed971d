/**
 * The benchmark's backend, run as its own process so its CPU is not Junction's:
 *   node dist/bench/backends/backend-server.js [--port N]
 * `POST /echo` answers the request body with its content type (the echo service of the classic
 * ESB benchmarks); `POST /sink` answers `<ok/>` and notes when each X-Junction-Message-Id arrived
 * (the asynchronous scenario's backend). `GET /_arrivals` hands the notes over and forgets them;
 * `GET /_stats` counts. Prints `backend listening on <url>` when ready.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { preciseNow } from '../lib/clock';

/** One message that reached the sink: its id and when (epoch milliseconds, sub-millisecond precision). */
export interface Arrival {
  readonly id: string;
  readonly at: number;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function main(): void {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
  let arrivals: Arrival[] = [];
  let sunk = 0;
  let echoed = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void readBody(req).then((body) => {
      if (req.method === 'POST' && req.url === '/sink') {
        const id = req.headers['x-junction-message-id'];
        arrivals.push({ id: typeof id === 'string' ? id : '', at: preciseNow() });
        sunk += 1;
        res.writeHead(200, { 'content-type': 'application/xml' }).end('<ok/>');
      } else if (req.method === 'POST' && req.url === '/echo') {
        echoed += 1;
        res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' }).end(body);
      } else if (req.method === 'GET' && req.url === '/_arrivals') {
        const taken = arrivals;
        arrivals = [];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(taken));
      } else if (req.method === 'GET' && req.url === '/_stats') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sunk, echoed }));
      } else {
        res.writeHead(404).end();
      }
    }, () => res.writeHead(400).end());
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(values.port), '127.0.0.1', () => {
    console.log(`backend listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  process.once('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
}

if (require.main === module) main();
