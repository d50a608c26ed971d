import { OUTBOUND_AUTH_SCHEMA, type OutboundAuthConfig } from '../outbound-auth';
import { OUTBOUND_OPTION_PROPERTIES, type OutboundOptions } from '../outbound-connection';

/** Options of a `soap` endpoint, as written under `endpoints.<name>` in configuration. */
export interface SoapEndpointOptions extends OutboundOptions {
  /**
   * The backend's WSDL: an absolute file path or an http(s) URL. A relative path is resolved
   * against the `baseDir` the factory is given (the configuration file's directory); without
   * one, `start()` refuses it. Prefer a local copy (wsdl/…): loading it needs no network at boot.
   */
  readonly wsdl: string;
  /** Endpoint address that overrides the WSDL's `soap:address`, e.g. `${ERP_SOAP_URL}`. */
  readonly url?: string;
  /** The WSDL operation to call, e.g. `CreateOrUpdateCustomer`. */
  readonly operation: string;
  /** The `wsdl:port` to use when several ports offer the operation (default: the first that does). */
  readonly port?: string;
  /** Whole-call time limit in milliseconds (default 10000). */
  readonly timeoutMs: number;
  /** Extra HTTP request headers (e.g. an API key taken from `${ENV}`). */
  readonly headers: Readonly<Record<string, string>>;
  /** Send the `<jh:MessageId xmlns:jh="urn:junction:headers:v1">` SOAP header (default true). */
  readonly messageIdHeader: boolean;
  /** Keep-alive connections to the backend (default 32). */
  readonly connections: number;
  /** How Junction authenticates to the backend: HTTP Basic or OAuth 2.0 client credentials. */
  readonly auth?: OutboundAuthConfig;
}

/** JSON Schema of {@link SoapEndpointOptions}, with defaults. */
export const SOAP_ENDPOINT_OPTIONS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['wsdl', 'operation'],
  properties: {
    wsdl: { type: 'string', minLength: 1 },
    url: { type: 'string', pattern: '^https?://[^\\s]+$' },
    operation: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' },
    port: { type: 'string', minLength: 1 },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 600000, default: 10000 },
    headers: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
    messageIdHeader: { type: 'boolean', default: true },
    connections: { type: 'integer', minimum: 1, maximum: 1024, default: 32 },
    ...OUTBOUND_OPTION_PROPERTIES,
    auth: OUTBOUND_AUTH_SCHEMA,
  },
} as const;
