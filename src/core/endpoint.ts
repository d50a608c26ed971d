import type { Envelope } from './envelope';
import type { Logger } from './logger';

/** What an endpoint is given besides the message. */
export interface EndpointContext {
  readonly routeId: string;
  readonly logger: Logger;
}

/** What a backend answered, when the endpoint has an answer to give (request-reply). */
export interface EndpointReply {
  readonly status?: number;
  readonly contentType: string;
  readonly body: string;
}

/**
 * An outbound connector to a legacy system (HTTP, SOAP, ...). Constructors do no I/O; `start`
 * opens pools, `close` releases them. `send` throws a JunctionError whose `retryable` flag says
 * whether to try again (network errors, timeouts, 5xx) or not (4xx).
 */
export interface Endpoint {
  readonly name: string;
  start(): Promise<void>;
  close(): Promise<void>;
  send(message: Envelope, context: EndpointContext): Promise<EndpointReply>;
  /**
   * The exact request `send` would make for this message, without sending it (for
   * `junction routes test`). Needs `start()` first (a SOAP endpoint reads its WSDL there).
   */
  preview(message: Envelope): Promise<RequestPreview>;
}

/** An HTTP request as an endpoint would send it. */
export interface RequestPreview {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Builds endpoints of one `type` from configuration. `optionsSchema` (JSON Schema) is checked at
 * boot before `create` is called.
 */
export interface EndpointFactory {
  readonly type: string;
  /** JSON Schema of the options (every key except `type`). */
  readonly optionsSchema: object;
  create(name: string, options: Readonly<Record<string, unknown>>, context: EndpointBuildContext): Endpoint;
}

/** What an endpoint factory may use when building from configuration. */
export interface EndpointBuildContext {
  /** Directory relative file options (a WSDL, say) are resolved against: the config file's. */
  readonly baseDir: string;
}
