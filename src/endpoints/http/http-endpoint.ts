import type { Dispatcher } from 'undici';
import type { Endpoint, EndpointContext, EndpointReply, RequestPreview } from '../../core/endpoint';
import type { Envelope } from '../../core/envelope';
import { outgoingTraceHeaders } from '../../core/trace-context';
import { MESSAGE_ID_HEADER, CORRELATION_ID_HEADER, ATTEMPT_HEADER } from '../../core/headers';
import { withAuthorization, type OutboundAuth } from '../outbound-auth';
import { createDispatcher, type OutboundConnection } from '../outbound-connection';
import type { HttpEndpointOptions } from './http-endpoint-options';
import { errorForStatus, errorForTransport } from './http-error-mapper';

/**
 * Delivers a message's body to a REST/XML backend with one HTTP request, over a keep-alive pool.
 * Sends the message id downstream so the backend (and the simulators) can spot duplicates.
 */
export class HttpEndpoint implements Endpoint {
  private pool: Dispatcher | undefined;
  private readonly target: URL;
  private readonly connection: OutboundConnection;
  private readonly auth: OutboundAuth | undefined;

  /** `outbound`: the endpoint's TLS and proxy, and how it authenticates, already read (outbound-connection.ts, outbound-auth.ts). */
  constructor(readonly name: string, private readonly options: HttpEndpointOptions, outbound: { readonly connection?: OutboundConnection; readonly auth?: OutboundAuth } = {}) {
    this.target = new URL(options.url);
    this.connection = outbound.connection ?? {};
    this.auth = outbound.auth;
  }

  /** Opens the connection pool (connections are made lazily, on first use). */
  async start(): Promise<void> {
    this.pool ??= createDispatcher(this.connection, {
      connections: this.options.connections,
      headersTimeoutMs: this.options.timeoutMs,
      bodyTimeoutMs: this.options.timeoutMs,
      connectTimeoutMs: Math.min(this.options.timeoutMs, 10_000),
    }, this.target.origin);
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await Promise.all([pool?.close(), this.auth?.close()]);
  }

  async send(message: Envelope, _context: EndpointContext): Promise<EndpointReply> {
    if (!this.pool) throw new Error(`Endpoint "${this.name}" used before start()`);
    const request = this.request(message);
    const pool = this.pool;
    // One deadline for the whole delivery: token fetches, the call, and the retry after a 401.
    const deadline = Date.now() + this.options.timeoutMs;
    // An access token the backend no longer takes (revoked, rotated keys): one more try with a fresh one.
    const { status, contentType, body } = await withAuthorization(this.auth, deadline, (authorization) => this.exchange(pool, request, authorization, deadline),
      (outcome) => 'result' in outcome && outcome.result.status === 401);
    if (status < 200 || status >= 300) throw errorForStatus(this.name, status, body);
    return { status, contentType, body };
  }

  /** One HTTP exchange, over by `deadline` (a `Date.now()` time); transport failures mapped to JCT_ENDPOINT_* errors. */
  private async exchange(pool: Dispatcher, request: RequestPreview, authorization: string | undefined, deadline: number): Promise<{ status: number; contentType: string; body: string }> {
    try {
      const response = await pool.request({
        origin: this.target.origin,
        path: `${this.target.pathname}${this.target.search}`,
        method: this.options.method,
        headers: { ...request.headers, ...(authorization !== undefined ? { authorization } : {}) },
        body: request.body,
        signal: AbortSignal.timeout(Math.max(0, deadline - Date.now())),
      });
      const type = response.headers['content-type'];
      return { status: response.statusCode, contentType: (Array.isArray(type) ? type[0] : type) ?? 'application/octet-stream', body: await response.body.text() };
    } catch (error) {
      throw errorForTransport(this.name, error, this.options.timeoutMs);
    }
  }

  /**
   * The request `send` makes for this message, credentials shown as a placeholder (a preview is
   * printed). Needs no start() and opens nothing.
   */
  async preview(message: Envelope): Promise<RequestPreview> {
    const request = this.request(message);
    return this.auth ? { ...request, headers: { ...request.headers, authorization: this.auth.shown } } : request;
  }

  /**
   * The one place a delivery's request is built, so `send` and `preview` cannot differ: method,
   * URL, the headers Junction sets and the body. The HTTP client adds only transport headers
   * (`host`, `content-length`, `connection`); `send` adds the Authorization of `auth`.
   */
  private request(message: Envelope): RequestPreview {
    const headers: Record<string, string> = {
      ...this.options.headers,
      'content-type': this.options.contentType ?? message.contentType,
      [MESSAGE_ID_HEADER]: message.id,
      [CORRELATION_ID_HEADER]: message.correlationId,
      [ATTEMPT_HEADER]: String(message.attempt),
      ...outgoingTraceHeaders(message.headers),
    };
    return { method: this.options.method, url: `${this.target.origin}${this.target.pathname}${this.target.search}`, headers, body: message.body };
  }
}
