import { OUTBOUND_AUTH_SCHEMA, type OutboundAuthConfig } from '../outbound-auth';
import { OUTBOUND_OPTION_PROPERTIES, type OutboundOptions } from '../outbound-connection';

/** Options of an `http` endpoint, as written under `endpoints.<name>` in configuration. */
export interface HttpEndpointOptions extends OutboundOptions {
  /** Full URL of the backend resource, e.g. `http://oa.example:8091/oa/approvals`. */
  readonly url: string;
  /** HTTP method (default POST). */
  readonly method: 'POST' | 'PUT' | 'PATCH';
  /** Whole-request time limit in milliseconds (default 10000). */
  readonly timeoutMs: number;
  /** Content type sent; default: the message's own content type. */
  readonly contentType?: string;
  /** Extra request headers (e.g. an API key taken from `${ENV}`). */
  readonly headers: Readonly<Record<string, string>>;
  /** Keep-alive connections to the backend (default 16). */
  readonly connections: number;
  /** How Junction authenticates to the backend: HTTP Basic or OAuth 2.0 client credentials. */
  readonly auth?: OutboundAuthConfig;
}

/** JSON Schema of {@link HttpEndpointOptions}, with defaults. */
export const HTTP_ENDPOINT_OPTIONS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', pattern: '^https?://[^\\s]+$' },
    method: { enum: ['POST', 'PUT', 'PATCH'], default: 'POST' },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 600000, default: 10000 },
    contentType: { type: 'string', minLength: 3 },
    headers: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
    connections: { type: 'integer', minimum: 1, maximum: 1024, default: 16 },
    ...OUTBOUND_OPTION_PROPERTIES,
    auth: OUTBOUND_AUTH_SCHEMA,
  },
} as const;
