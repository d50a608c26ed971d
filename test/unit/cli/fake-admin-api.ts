import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake admin API received, as the tests check it. */
export interface SeenRequest {
  readonly method: string;
  /** Below /admin/api, without the query: `/replay-jobs/j-1/pause`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: unknown;
}

/** What the fake answers: a status (default 200) and a JSON body. */
export interface FakeAnswer {
  readonly status?: number;
  readonly body: unknown;
}

/** Answers a request, or undefined for the admin API's 404 problem. */
export type FakeHandler = (request: SeenRequest) => FakeAnswer | undefined;

/**
 * A stand-in for a running Junction's admin API on 127.0.0.1 (a free port), so the operator
 * commands can be driven in-process without RabbitMQ or a database: it records every request and
 * answers what the test's handler says, problem+json like the real API otherwise.
 */
export class FakeAdminApi {
  readonly requests: SeenRequest[] = [];

  private constructor(private readonly server: http.Server, readonly url: string) {}

  static async start(handler: FakeHandler): Promise<FakeAdminApi> {
    let api: FakeAdminApi | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://fake');
        const seen: SeenRequest = {
          method: req.method ?? 'GET', path: url.pathname.replace(/^\/admin\/api/, ''), query: url.searchParams, headers: req.headers,
          body: text === '' ? undefined : JSON.parse(text),
        };
        api?.requests.push(seen);
        const answer = handler(seen) ?? { status: 404, body: { code: 'JCT_MESSAGE_NOT_FOUND', detail: `nothing at ${seen.path}` } };
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = new FakeAdminApi(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return api;
  }

  /** The one request received, failing the test when there were others or none. */
  only(): SeenRequest {
    if (this.requests.length !== 1) throw new Error(`expected one request, got ${this.requests.length}: ${this.requests.map((r) => `${r.method} ${r.path}`).join(', ')}`);
    return this.requests[0] as SeenRequest;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The variables the operator commands fall back on; a test that must see only its options clears them. */
const CONNECTION_VARIABLES = ['JUNCTION_URL', 'JUNCTION_TOKEN', 'JUNCTION_API_KEY', 'JUNCTION_API_KEY_HEADER', 'JUNCTION_CERT', 'JUNCTION_KEY', 'JUNCTION_CA'] as const;

/** Unsets the connection variables (so only options can name the target and credentials); returns what puts them back. */
export function clearConnectionEnvironment(): () => void {
  const saved = CONNECTION_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const name of CONNECTION_VARIABLES) delete process.env[name];
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/**
 * The usual set-up of a test of the operator commands: before each test the connection variables
 * are cleared and a FakeAdminApi answering with `handler` starts; after it both are undone. Call
 * inside a `describe`; `.api` is the running fake of the current test.
 */
export function useFakeAdminApi(handler: FakeHandler): { readonly api: FakeAdminApi } {
  let running: FakeAdminApi | undefined;
  let restoreEnvironment: (() => void) | undefined;
  beforeEach(async function () {
    restoreEnvironment = clearConnectionEnvironment();
    running = await FakeAdminApi.start(handler);
  });
  afterEach(async function () {
    await running?.close();
    restoreEnvironment?.();
  });
  return {
    get api(): FakeAdminApi {
      if (running === undefined) throw new Error('useFakeAdminApi: no test is running');
      return running;
    },
  };
}
