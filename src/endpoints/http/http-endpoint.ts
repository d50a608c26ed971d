import type { Dispatcher } from 'undici';
import type { Endpoint, EndpointContext, EndpointReply, RequestPreview } from '../../core/endpoint';
import type { Envelope } from '../../core/envelope';
import { outgoingTraceHeaders } from '../../core/trace-context';
import { MESSAGE_ID_HEADER, CORRELATION_ID_HEADER, ATTEMPT_HEADER } from '../../core/headers';
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

  /** `connection`: the endpoint's TLS and proxy, already read (outbound-connection.ts). */
  constructor(readonly name: string, private readonly options: HttpEndpointOptions, private readonly connection: OutboundConnection = {}) {
    this.target = new URL(options.url);
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
    await pool?.close();
  }

  async send(message: Envelope, _context: EndpointContext): Promise<EndpointReply> {
    if (!this.pool) throw new Error(`Endpoint "${this.name}" used before start()`);
    const request = this.request(message);
    let status: number;
    let contentType: string;
    let body: string;
    try {
      const response = await this.pool.request({
        origin: this.target.origin,
        path: `${this.target.pathname}${this.target.search}`,
        method: this.options.method,
        headers: { ...request.headers },
        body: request.body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      status = response.statusCode;
      const type = response.headers['content-type'];
      contentType = (Array.isArray(type) ? type[0] : type) ?? 'application/octet-stream';
      body = await response.body.text();
    } catch (error) {
      throw errorForTransport(this.name, error, this.options.timeoutMs);
    }
    if (status < 200 || status >= 300) throw errorForStatus(this.name, status, body);
    return { status, contentType, body };
  }

  /**
   * The request `send` makes for this message: method, URL, the headers Junction sets and the
   * body. The HTTP client adds only transport headers (`host`, `content-length`, `connection`).
   * Needs no start() and opens nothing.
   */
  async preview(message: Envelope): Promise<RequestPreview> {
    return this.request(message);
  }

  /** The one place a delivery's request is built, so `send` and `preview` cannot differ. */
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
