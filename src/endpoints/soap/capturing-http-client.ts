import { HttpClient, type IExOptions, type IHeaders } from 'soap';
import { request as send, type Dispatcher } from 'undici';
import type { RequestPreview } from '../../core/endpoint';
import { createDispatcher, type OutboundConnection } from '../outbound-connection';

/** What node-soap's `HttpClient.request` returns (an axios promise; axios is node-soap's, not ours). */
type RequestResult = ReturnType<HttpClient['request']>;

/**
 * Options that need node-soap's own axios transport (NTLM, MTOM, attachments, gzip). SoapEndpoint
 * never passes them (docs/endpoints.md); should a call carry one, it goes to axios rather than
 * being sent without it.
 */
const AXIOS_ONLY = ['ntlm', 'forceMTOM', 'attachments', 'forceGzip'] as const;

/** Headers undici sets itself and refuses from callers. */
const TRANSPORT_HEADERS = new Set(['host', 'connection', 'content-length']);

/** undici's socket errors under the Node.js codes the SOAP error mapper knows (a dropped connection). */
function withNodeCode(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return Object.assign(error as object, { code: 'ECONNRESET' });
  return error;
}

/**
 * node-soap's HTTP client with two changes. It sends over undici (keep-alive connections, a
 * fraction of axios's CPU per call: docs/performance.md) instead of node-soap's axios — answering
 * node-soap exactly as axios would with `validateStatus: null` (every status is an answer; node-soap
 * reads faults from the body). And it can capture a call instead of sending it: a call whose
 * options object was registered with {@link CapturingHttpClient.capture} is built by the same
 * `buildRequest` a real call uses (same URL, headers and body bytes), handed to the capture, and
 * never sent. A call with an NTLM, MTOM, attachment or gzip option (which SoapEndpoint does not
 * pass) would go through node-soap's own transport.
 */
export class CapturingHttpClient extends HttpClient {
  private readonly captures = new WeakMap<object, (request: RequestPreview) => void>();
  private readonly agent: Dispatcher;

  /**
   * `connections`: keep-alive connections per backend origin (the endpoint's `connections` option);
   * `connection`: the endpoint's TLS and proxy.
   */
  constructor(connections: number, connection: OutboundConnection = {}) {
    super();
    this.agent = createDispatcher(connection, { connections, keepAliveTimeoutMs: 30_000 });
  }

  /** The next request made with `options` (the same object) goes to `onRequest` instead of the network. */
  capture(options: object, onRequest: (request: RequestPreview) => void): void {
    this.captures.set(options, onRequest);
  }

  /** Closes the kept-alive connections. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  override request(
    rurl: string,
    data: unknown,
    callback: (error: unknown, res?: unknown, body?: unknown) => unknown,
    exheaders?: IHeaders,
    exoptions?: IExOptions,
  ): RequestResult {
    const onRequest = exoptions === undefined ? undefined : this.captures.get(exoptions);
    if (onRequest && exoptions !== undefined) {
      this.captures.delete(exoptions);
      const built = this.buildRequest(rurl, data, exheaders, exoptions) as { url: string; method: string; headers: Record<string, unknown>; data: unknown };
      const headers = Object.fromEntries(Object.entries(built.headers).map(([name, value]) => [name, String(value)]));
      onRequest({ method: built.method, url: built.url, headers, body: typeof built.data === 'string' ? built.data : String(built.data) });
      // Never settles: the call was only built, so there is no answer to give node-soap.
      return new Promise<never>(() => undefined) as RequestResult;
    }
    const options = (exoptions ?? {}) as Record<string, unknown>;
    if (AXIOS_ONLY.some((key) => options[key] !== undefined && options[key] !== false)) return super.request(rurl, data, callback, exheaders, exoptions);
    const built = this.buildRequest(rurl, data, exheaders, exoptions) as { url: string; method: string; headers: Record<string, unknown>; data: unknown };
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(built.headers)) if (!TRANSPORT_HEADERS.has(name.toLowerCase())) headers[name] = String(value);
    const signal = options['signal'] instanceof AbortSignal ? options['signal'] : undefined;
    const answered = send(built.url, {
      method: built.method as 'GET' | 'POST', headers, body: typeof built.data === 'string' || Buffer.isBuffer(built.data) ? built.data : null,
      dispatcher: this.agent, ...(signal ? { signal } : {}),
    }).then(async (res) => {
      const text = await res.body.text();
      const response = { status: res.statusCode, headers: res.headers, data: text, config: { headers } };
      response.data = this.handleResponse(undefined as never, response as never, text) as string;
      callback(null, response, response.data);
      return response;
    }, (error: unknown) => {
      callback(withNodeCode(error));
      return undefined;
    });
    return answered as unknown as RequestResult;
  }
}
