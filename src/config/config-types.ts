import type { AdminConfig, RetentionConfig } from './admin-config-types';

/**
 * The shape of Junction's configuration after loading, interpolation and validation.
 * config-schema.ts is the authority on what is allowed; docs/configuration.md documents each field.
 */

/** HTTP server settings for the gateways, admin API and health endpoints. */
export interface ServerConfig {
  /** TCP port (default 8080). */
  readonly port: number;
  /** Interface to bind (default 127.0.0.1; 0.0.0.0 for all). */
  readonly host: string;
  /** Largest request body accepted, in bytes (default 1 MiB); larger bodies get 413. */
  readonly bodyLimitBytes: number;
  /** How long a stop (SIGTERM) may take to finish the work in flight before the process exits anyway (default 30 s). */
  readonly shutdownTimeoutMs: number;
  /** Answers compressed for callers that send Accept-Encoding (gzip, deflate), from `thresholdBytes` up. */
  readonly compression: { readonly enabled: boolean; readonly thresholdBytes: number };
  /** HTTPS for the gateways, admin API and console; absent = plain HTTP. */
  readonly tls?: ServerTlsConfig;
}

/** A secret: read from an environment variable or a file, never written into the configuration. */
export type SecretRefConfig = { readonly env: string } | { readonly file: string };

/** HTTPS settings of the server. */
export interface ServerTlsConfig {
  readonly cert: SecretRefConfig;
  readonly key: SecretRefConfig;
  /** CA certificates that client certificates must chain to. */
  readonly ca?: SecretRefConfig;
  readonly clientCertificates: 'none' | 'request' | 'require';
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Certificate revocation lists (PEM) of the CAs in `ca`: one file or several. */
  readonly crl?: FileRefConfig | readonly FileRefConfig[];
  /** How often the CRL files are checked for a change, in seconds (default 300). */
  readonly crlReloadSeconds: number;
}

/** A file that is not a secret (a CRL), relative to the configuration file's folder. */
export interface FileRefConfig {
  readonly file: string;
}

/** TLS settings of an outgoing connection (RabbitMQ, MySQL). */
export interface ClientTlsConfig {
  readonly ca?: SecretRefConfig;
  readonly cert?: SecretRefConfig;
  readonly key?: SecretRefConfig;
  readonly servername?: string;
  readonly rejectUnauthorized: boolean;
}

/** The security settings (docs/security.md). */
export interface SecurityConfig {
  readonly xml: { readonly maxDepth: number; readonly maxElements: number; readonly maxAttributes: number; readonly maxNameLength: number };
  readonly json: { readonly maxDepth: number };
  readonly auth: AuthConfig;
  readonly clients: Readonly<Record<string, ClientConfig>>;
  readonly masking: { readonly fields: readonly string[]; readonly mask: string; readonly cardNumbers: boolean };
  readonly payloadEncryption?: { readonly keys: SecretRefConfig; readonly encrypt: boolean };
}

/** How callers authenticate. */
export interface AuthConfig {
  /** `off`: anyone may call (the embedded demo); `required`: every gateway call needs credentials. */
  readonly mode: 'off' | 'required';
  readonly apiKeyHeader: string;
  /** Who may fetch WSDLs, XSDs and the OpenAPI document. */
  readonly docs: 'public' | 'authenticated';
  readonly jwt?: JwtConfig;
  /** Accept HTTP Basic with the clients' `username`/`password` (default false). */
  readonly httpBasic: boolean;
  readonly wsSecurity: {
    readonly maxAgeSeconds: number; readonly clockSkewSeconds: number; readonly digestOnly: boolean; readonly nonceCacheSize: number;
    /** Verify WS-Security X.509 signatures: the CAs (PEM) that issue signers' certificates; SHA-1 accepted only when allowed. */
    readonly signature?: {
      readonly ca: SecretRefConfig; readonly allowSha1: boolean;
      /** Refuse signed requests whose header blocks Junction acts on (IdempotencyKey, CorrelationId, wsa:MessageID as a key) are unsigned (default true). */
      readonly requireSignedHeaders: boolean;
      /** CRLs (PEM) of the CAs in `ca`, checked against every signing certificate: one file or several. */
      readonly crl?: FileRefConfig | readonly FileRefConfig[];
      /** How often the CRL files are checked for a change, in seconds (default 300). */
      readonly crlReloadSeconds: number;
    };
  };
}

/** Bearer JWT verification. */
export interface JwtConfig {
  readonly algorithms: readonly ('HS256' | 'HS384' | 'HS512' | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512')[];
  readonly secret?: SecretRefConfig;
  readonly publicKey?: SecretRefConfig;
  readonly issuer: string | readonly string[];
  readonly audience: string | readonly string[];
  readonly clientClaim: string;
  readonly rolesClaim: string;
  readonly clockToleranceSeconds: number;
  readonly maxAgeSeconds?: number;
  /** The identity provider's JWKS URL (RS/PS/ES*; instead of `publicKey`). */
  readonly jwksUrl?: string;
  /** Find the JWKS URL in the issuer's OpenID Connect discovery document instead (default false). */
  readonly discovery: boolean;
  /** CAs that sign the JWKS server's certificate (PEM). */
  readonly jwksCa?: SecretRefConfig;
  readonly jwksCacheSeconds: number;
  readonly jwksCooldownSeconds: number;
  readonly jwksTimeoutMs: number;
  readonly jwksMaxStaleSeconds: number;
}

/** A client of Junction: its credentials and the routes it may call. */
export interface ClientConfig {
  readonly apiKey?: SecretRefConfig;
  readonly username?: string;
  readonly password?: SecretRefConfig;
  /** Route ids this client may call; `*` = every route. */
  readonly routes: readonly string[];
  readonly roles: readonly string[];
  /** The TLS client certificate that identifies this client (docs/security.md, "Client certificates"). */
  readonly certificate?: { readonly subject?: string; readonly fingerprint256?: string };
}

/** Process log settings. */
export interface LogConfig {
  readonly level: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  readonly format: 'json' | 'text';
}

/** Where the transaction log lives: `mysql://…` (production) or `sqlite:path` (embedded). */
export interface StoreConfig {
  readonly url: string;
  /** Connections in the pool (MySQL only). */
  readonly poolSize: number;
  /** Prefix of every table name (default `jct_`). */
  readonly tablePrefix: string;
  /** MySQL/MariaDB: many writes per transaction (docs/store.md, "Group commit"). */
  readonly groupCommit: {
    readonly enabled: boolean;
    /** Writes per transaction, at most. */
    readonly maxWrites: number;
    /** Bytes of payload per transaction, at most. */
    readonly maxBytes: number;
    /** Transactions in flight at once, each on a connection of its own (besides `poolSize`). */
    readonly connections: number;
  };
  /** TLS to MySQL/MariaDB. */
  readonly tls?: ClientTlsConfig;
}

/** The message bus: `amqp://…` (RabbitMQ, production) or `memory:` (embedded, one process). */
export interface BusConfig {
  readonly url: string;
  /** Prefix of exchange and queue names (default `junction`). */
  readonly prefix: string;
  /** Unacknowledged messages a worker holds per route (AMQP prefetch). */
  readonly prefetch: number;
  /** TLS options for `amqps://` URLs. */
  readonly tls?: ClientTlsConfig;
}

/** An outbound endpoint: `type` picks the connector; the other keys are the connector's options. */
export interface EndpointConfig {
  readonly type: string;
  readonly [option: string]: unknown;
}

/** A step of a route's chain: `type` picks the transformer or validator; other keys are its options. */
export interface StepConfig {
  readonly type: string;
  /** Name used in logs and history (default: the type). */
  readonly name?: string;
  readonly [option: string]: unknown;
}

/** A REST entry binding: `method` + `path` under /api/v1. */
export interface RestEntryConfig {
  readonly method: 'POST' | 'PUT' | 'PATCH';
  readonly path: string;
  /** JSON Schema file (relative to the config file) the body must satisfy; checked before the message is accepted. */
  readonly schema?: string;
  /** JSON pointer of the business key in the body (e.g. `/orderId`), for search. */
  readonly businessKey?: string;
}

/** A SOAP entry binding: an operation of a service published under `soap.services`. */
export interface SoapEntryConfig {
  readonly service: string;
  readonly operation: string;
  /** JSON pointer of the business key in the request's JSON form (e.g. `/orderId`). */
  readonly businessKey?: string;
}

/** A route: where messages come in, the steps they go through and where they are delivered. */
export interface RouteConfig {
  readonly id: string;
  readonly description?: string;
  readonly pattern: 'one-way' | 'request-reply';
  /** Request-reply only: how long the caller waits for the answer, in milliseconds. */
  readonly replyTimeoutMs: number;
  readonly entry: { readonly rest?: RestEntryConfig; readonly soap?: SoapEntryConfig };
  readonly steps: readonly StepConfig[];
  /** Shorthand for `deliver`: endpoint names, each delivered to unconditionally. */
  readonly to?: readonly string[];
  /** Recipients, each with an optional condition and its own steps (content-based routing). */
  readonly deliver?: readonly DeliveryConfig[];
  /** Request-reply only: steps run on the endpoint's answer before it goes back to the caller. */
  readonly replySteps: readonly StepConfig[];
  /** What the transaction log keeps of the message: nothing, the original, or every step's output. */
  readonly capture: 'none' | 'original' | 'steps';
  /** How often and how far apart a message is tried when it fails with a retryable error (docs/retries.md). */
  readonly retry: RetryConfig;
}

/** A route's retry policy; every field has a default. */
export interface RetryConfig {
  /** Tries in all, including the first (1 = never retry). */
  readonly attempts: number;
  /** Wait before the second try, in milliseconds. */
  readonly initialDelayMs: number;
  /** Each further wait is this many times the previous one. */
  readonly multiplier: number;
  /** No wait is longer than this, in milliseconds. */
  readonly maxDelayMs: number;
  /** Random spread of each wait, as a fraction (0.2 = ±20 %). */
  readonly jitter: number;
}

/** One recipient of a route: where to, when, and the steps only this recipient needs. */
export interface DeliveryConfig {
  /** Endpoint name under `endpoints`. */
  readonly to: string;
  /** Content-based condition (see docs/routes.md); absent = always. */
  readonly when?: unknown;
  readonly steps: readonly StepConfig[];
}

/** A SOAP service Junction publishes from a WSDL. */
export interface SoapServiceConfig {
  /** The WSDL file (relative to the config file); the XSDs it imports are published with it. */
  readonly wsdl: string;
  /** URL path of the service (default `/soap/<name>`). */
  readonly path?: string;
  /** Largest request body for this service, in bytes (default `soap.bodyLimitBytes`). */
  readonly bodyLimitBytes?: number;
  /** Operations answered by Junction itself instead of a route, e.g. `GetMessageStatus: message-status`. */
  readonly builtins: Readonly<Record<string, 'message-status'>>;
  /**
   * Where idempotency keys come from (docs/idempotency.md): `key` (default) the HTTP
   * `Idempotency-Key` header or the `IdempotencyKey` SOAP header only; `messageId` those, else
   * the request's WS-Addressing `wsa:MessageID`.
   */
  readonly idempotency: 'key' | 'messageId';
}

/** The recovery sweep: what a crash left half-way, put back (docs/store.md, "Recovery sweep"). */
export interface RecoveryConfig {
  /** Time between rounds, in ms. */
  readonly intervalMs: number;
  /** How long a message may stay RECEIVED, or past its copy's due time, before it counts as stranded or overdue. */
  readonly graceMs: number;
  /** Messages looked at per status per round, at most. */
  readonly batchSize: number;
}

/** The whole configuration. */
export interface JunctionConfig {
  readonly server: ServerConfig;
  readonly log: LogConfig;
  readonly store: StoreConfig;
  readonly bus: BusConfig;
  /** Operators' access and bulk replay pace (docs/operators.md). */
  readonly admin: AdminConfig;
  /** How long settled messages are kept. */
  readonly retention: RetentionConfig;
  /** The recovery sweep of gateway processes (docs/store.md, "Recovery sweep"). */
  readonly recovery: RecoveryConfig;
  readonly soap: { readonly bodyLimitBytes?: number; readonly services: Readonly<Record<string, SoapServiceConfig>> };
  /** The REST gateway: its own body limit (default `server.bodyLimitBytes`). */
  readonly rest: { readonly bodyLimitBytes?: number };
  readonly security: SecurityConfig;
  readonly endpoints: Readonly<Record<string, EndpointConfig>>;
  readonly routes: readonly RouteConfig[];
}
