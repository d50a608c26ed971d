import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { closeNow, listenOnLoopback } from '../../support/ports';

/** One request exactly as it reached the server: raw header names and values, body bytes. */
export interface CapturedRequest {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  /** Header names lower-cased → value (Node joins repeated headers). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** What the server answers when it does not forward. */
export interface FixedAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * An HTTP server on 127.0.0.1 that records every request byte for byte and either answers it
 * itself or forwards it, unchanged, to `forwardTo` (origin) and relays the answer: a recording
 * proxy in front of a simulator.
 */
export class CapturingServer {
  readonly requests: CapturedRequest[] = [];
  private server: Server | undefined;
  private base = '';

  constructor(private readonly answer: FixedAnswer | { readonly forwardTo: string }) {}

  /** Listens on a free port; resolves the base URL. */
  async start(): Promise<string> {
    const server = createServer((req, res) => {
      void readAll(req).then((body) => {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
        this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers, body });
        if ('forwardTo' in this.answer) {
          const target = new URL(req.url ?? '/', this.answer.forwardTo);
          const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          });
          upstream.on('error', () => res.writeHead(502).end());
          upstream.end(body);
          return;
        }
        res.writeHead(this.answer.status, { 'content-type': this.answer.contentType }).end(this.answer.body);
      });
    });
    this.server = server;
    this.base = await listenOnLoopback(server);
    return this.base;
  }

  get url(): string {
    return this.base;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeNow(server);
  }
}
