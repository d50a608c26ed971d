import path from 'node:path';
import { Client } from 'soap';
import type { Endpoint, EndpointContext, EndpointReply, RequestPreview } from '../../core/endpoint';
import type { Envelope } from '../../core/envelope';
import { outgoingTraceHeaders } from '../../core/trace-context';
import { describeError, JunctionError } from '../../core/errors';
import { ATTEMPT_HEADER, CORRELATION_ID_HEADER, MESSAGE_ID_HEADER } from '../../core/headers';
import { withAuthorization, type OutboundAuth } from '../outbound-auth';
import { connectionFailure, type OutboundConnection } from '../outbound-connection';
import { CapturingHttpClient } from './capturing-http-client';
import type { SoapEndpointOptions } from './soap-endpoint-options';
import { errorForSoapCall } from './soap-error-mapper';
import { resultToJson, toSoapArguments, type SoapArguments } from './soap-values';
import { sharedWsdlCache, type WsdlCache } from './wsdl-cache';
import { describeLocation, WsdlFetchError } from './wsdl-fetch';

/** Why a call's controller was aborted (its signal's reason). */
const TIMED_OUT = 'timed out';
const CLOSED = 'closed';

/** Namespace of Junction's SOAP headers; the WSDLs of the legacy systems declare `jh:MessageId` in it. */
export const JUNCTION_HEADERS_NS = 'urn:junction:headers:v1';

/** What a `soap` endpoint is built with besides its options. */
export interface SoapEndpointContext {
  /** Directory a relative `wsdl` path is resolved against (the configuration file's). */
  readonly baseDir?: string;
  /** Where parsed WSDLs are shared; default: the process-wide cache. */
  readonly wsdlCache?: WsdlCache;
  /** The endpoint's TLS and proxy for its calls, already read (outbound-connection.ts). */
  readonly connection?: OutboundConnection;
  /** How the endpoint authenticates to the backend (outbound-auth.ts). */
  readonly auth?: OutboundAuth;
}

/** node-soap's callback-style operation method. */
type SoapMethod = (
  args: SoapArguments,
  callback: (error: unknown, result: unknown) => void,
  options: Record<string, unknown>,
  extraHeaders: Record<string, string>,
) => void;

/** The operation picked at start(): where it lives in the WSDL and whether it answers. */
interface BoundOperation {
  readonly call: SoapMethod;
  readonly hasOutput: boolean;
  /** The client's HTTP client: sends, or captures a call for preview(). */
  readonly http: CapturingHttpClient;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The HTTP status node-soap's error carries (axios-shaped `response.status`), if any. */
function httpStatusOf(error: unknown): number | undefined {
  const status = (error as { response?: { status?: unknown } } | null)?.response?.status;
  return typeof status === 'number' ? status : undefined;
}

function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/**
 * Calls one operation of a SOAP service per message (node-soap's client). start() parses the WSDL
 * once, through a cache shared by every endpoint in the process, and binds the operation; send()
 * turns the JSON body into the request element (numbers keep their exact digits), adds the message
 * id as the `jh:MessageId` SOAP header and the `X-Junction-*` HTTP headers, and answers the result
 * as JSON, again with exact numbers.
 */
export class SoapEndpoint implements Endpoint {
  private operation: BoundOperation | undefined;
  /**
   * One controller per call in flight, aborted on its timeout or by close(). Not
   * `AbortSignal.any([timeout, endpointWide])`: on Node 20 every composite signal that follows a
   * long-lived one stays reachable from it for good (nodejs/node#55351) — a leak of one signal
   * per SOAP call.
   */
  private readonly calls = new Set<AbortController>();
  /** Message id of each call's arguments, read by the SOAP header function while it writes that call's envelope. */
  private readonly messageIds = new WeakMap<object, string>();
  private readonly wsdlCache: WsdlCache;
  private readonly baseDir: string | undefined;
  private readonly connection: OutboundConnection;
  private readonly auth: OutboundAuth | undefined;

  constructor(readonly name: string, private readonly options: SoapEndpointOptions, context: SoapEndpointContext = {}) {
    this.wsdlCache = context.wsdlCache ?? sharedWsdlCache;
    this.baseDir = context.baseDir;
    this.connection = context.connection ?? {};
    this.auth = context.auth;
  }

  /** Loads (or reuses) the WSDL, builds the client and finds the operation. */
  async start(): Promise<void> {
    if (this.operation) return;
    const location = this.wsdlLocation();
    let wsdl;
    try {
      wsdl = await this.wsdlCache.load(location, { connection: this.connection, timeoutMs: this.options.timeoutMs, ...(this.auth ? { auth: this.auth } : {}) });
    } catch (error) {
      throw this.wsdlLoadError(location, error);
    }
    const http = new CapturingHttpClient(this.options.connections, this.connection);
    const client = new Client(wsdl, this.options.url, { httpClient: http });
    if (this.options.messageIdHeader) {
      client.addSoapHeader((_method: unknown, _location: unknown, _action: unknown, args: unknown) => {
        const id = typeof args === 'object' && args !== null ? this.messageIds.get(args) : undefined;
        return id === undefined ? '' : `<jh:MessageId xmlns:jh="${JUNCTION_HEADERS_NS}">${escapeXml(id)}</jh:MessageId>`;
      });
    }
    this.operation = { ...this.bindOperation(client), http };
  }

  /** Abandons calls in flight; the parsed WSDL stays cached for other endpoints. */
  async close(): Promise<void> {
    const operation = this.operation;
    this.operation = undefined;
    for (const call of this.calls) call.abort(CLOSED);
    this.calls.clear();
    await Promise.all([operation?.http.close(), this.auth?.close()]);
  }

  async send(message: Envelope, context: EndpointContext): Promise<EndpointReply> {
    const operation = this.operation;
    if (!operation) throw new Error(`Endpoint "${this.name}" used before start()`);
    const args = this.argumentsFor(message);
    const headers = this.httpHeaders(message);
    const call = new AbortController();
    // One deadline for the whole delivery: token fetches, the call, and the retry after a 401.
    const deadline = Date.now() + this.options.timeoutMs;
    const timer = setTimeout(() => call.abort(TIMED_OUT), this.options.timeoutMs);
    this.calls.add(call);
    let result: unknown;
    try {
      const attempt = async (authorization: string | undefined): Promise<unknown> => new Promise<unknown>((resolve, reject) => {
        operation.call(args, (error, value) => (error ? reject(error) : resolve(value)), { signal: call.signal },
          authorization === undefined ? headers : { ...headers, authorization });
      });
      // An access token the backend no longer takes: one more try with a fresh one.
      result = await withAuthorization(this.auth, deadline, attempt, (outcome) => 'error' in outcome && httpStatusOf(outcome.error) === 401);
    } catch (error) {
      if (error instanceof JunctionError) throw error; // from the token endpoint: already says what failed
      const mapped = errorForSoapCall({
        endpoint: this.name,
        operation: this.options.operation,
        timeoutMs: this.options.timeoutMs,
        timedOut: call.signal.reason === TIMED_OUT,
        closed: call.signal.reason === CLOSED,
      }, error);
      if (mapped.code === 'JCT_INTERNAL') {
        context.logger.error('SOAP call failed unexpectedly', { endpoint: this.name, messageId: message.id, error: describeError(error) });
      }
      throw mapped;
    } finally {
      clearTimeout(timer);
      this.calls.delete(call);
    }
    if (operation.hasOutput && result === undefined) {
      throw new JunctionError('JCT_ENDPOINT_SERVER_ERROR', `Endpoint "${this.name}" answered ${this.options.operation} without its response element`, {
        details: { endpoint: this.name, operation: this.options.operation },
      });
    }
    return { contentType: 'application/json', body: resultToJson(result) };
  }

  /**
   * The request `send` posts for this message, built by the same node-soap client and HTTP
   * client (`buildRequest`): the envelope with its `jh:MessageId` header, byte for byte, and the
   * HTTP headers (SOAPAction, Content-Type, X-Junction-*, node-soap's own). Nothing is sent.
   * Needs start() (the WSDL).
   */
  async preview(message: Envelope): Promise<RequestPreview> {
    const operation = this.operation;
    if (!operation) throw new Error(`Endpoint "${this.name}" used before start()`);
    const args = this.argumentsFor(message);
    const headers = { ...this.httpHeaders(message), ...(this.auth ? { authorization: this.auth.shown } : {}) };
    const options = {};
    try {
      return await new Promise<RequestPreview>((resolve, reject) => {
        operation.http.capture(options, resolve);
        operation.call(args, (error) => reject(error ?? new Error('node-soap answered without making a request')), options, headers);
      });
    } catch (error) {
      if (error instanceof JunctionError) throw error;
      throw new JunctionError('JCT_INTERNAL', `Endpoint "${this.name}" could not build the ${this.options.operation} request: ${describeError(error)}`, {
        details: { endpoint: this.name, operation: this.options.operation }, cause: error,
      });
    }
  }

  /** The operation's arguments, registered so the SOAP header function writes this message's id. */
  private argumentsFor(message: Envelope): SoapArguments {
    const args = toSoapArguments(message, this.name);
    this.messageIds.set(args, message.id);
    return args;
  }

  /** HTTP headers of a call besides node-soap's own (SOAPAction, Content-Type, ...). */
  private httpHeaders(message: Envelope): Record<string, string> {
    return {
      ...this.options.headers,
      [MESSAGE_ID_HEADER]: message.id,
      [CORRELATION_ID_HEADER]: message.correlationId,
      [ATTEMPT_HEADER]: String(message.attempt),
      ...outgoingTraceHeaders(message.headers),
    };
  }

  /** The WSDL's absolute path or URL. */
  private wsdlLocation(): string {
    const { wsdl } = this.options;
    if (isUrl(wsdl) || path.isAbsolute(wsdl)) return wsdl;
    if (this.baseDir === undefined) {
      throw new JunctionError('JCT_CONFIG_INVALID', `Endpoint "${this.name}": wsdl "${wsdl}" must be an absolute path or an http(s) URL.`);
    }
    return path.resolve(this.baseDir, wsdl);
  }

  private wsdlLoadError(location: string, error: unknown): JunctionError {
    const where = describeLocation(location);
    const details = { endpoint: this.name, wsdl: where };
    // A URL, or a file whose import by URL could not be fetched.
    if (isUrl(location) || error instanceof WsdlFetchError) {
      if (error instanceof JunctionError) return error; // from the token endpoint: already says what failed
      const connection = connectionFailure(this.name, error instanceof WsdlFetchError ? error.cause : error, details, `cannot fetch its WSDL ${where}`);
      if (connection) return connection;
      const cannot = `Endpoint "${this.name}" cannot fetch its WSDL ${where}`;
      if (error instanceof WsdlFetchError) {
        const hint = error.hint?.(`endpoints.${this.name}`);
        return new JunctionError('JCT_ENDPOINT_UNREACHABLE', `${cannot}: ${error.reason}${hint ? `; ${hint}` : ''}`, { details, cause: error });
      }
      // Fetched, but node-soap could not read it as a WSDL.
      return new JunctionError('JCT_ENDPOINT_UNREACHABLE', `${cannot} (not a usable WSDL: ${(error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').slice(0, 200)})`, { details, cause: error });
    }
    const code = (error as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' ? code : 'not a readable WSDL';
    return new JunctionError('JCT_CONFIG_REFERENCE', `Endpoint "${this.name}" cannot load its WSDL ${where} (${reason})`, { details, cause: error });
  }

  /** Finds the operation in the WSDL's services and ports (`port` picks one when several offer it). */
  private bindOperation(client: Client): Omit<BoundOperation, 'http'> {
    const wanted = this.options.operation;
    const description = client.describe() as Record<string, Record<string, Record<string, { output?: unknown }>>>;
    const known = new Set<string>();
    for (const [service, ports] of Object.entries(description)) {
      for (const [port, operations] of Object.entries(ports)) {
        for (const name of Object.keys(operations)) known.add(name);
        const described = operations[wanted];
        if (!described || (this.options.port !== undefined && port !== this.options.port)) continue;
        const call = (client as unknown as Record<string, Record<string, Record<string, SoapMethod | undefined>>>)[service]?.[port]?.[wanted];
        if (typeof call !== 'function') continue;
        const output = described.output;
        const hasOutput = typeof output === 'object' && output !== null;
        return { call, hasOutput };
      }
    }
    const inPort = this.options.port === undefined ? '' : ` in port "${this.options.port}"`;
    throw new JunctionError('JCT_CONFIG_INVALID', `Endpoint "${this.name}": the WSDL has no operation "${wanted}"${inPort} (operations: ${[...known].sort().join(', ') || 'none'}).`);
  }
}
