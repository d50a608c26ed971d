import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { Agent, Pool, ProxyAgent, type Dispatcher } from 'undici';
import { CLIENT_TLS_SCHEMA } from '../config/config-schema';
import type { ClientTlsConfig } from '../config/config-types';
import { JunctionError } from '../core/errors';
import { readClientTls, type ClientTls } from '../security/tls-options';
import { tlsFailureOf, type TlsFailure } from '../security/tls/tls-failure';

/**
 * How an endpoint reaches its backend: TLS beyond the system's trust store (a private CA, a
 * client certificate for mutual TLS, the name to verify) and an HTTP proxy. Shared by the `http`
 * and `soap` endpoints; read once at boot, certificates and keys from files or the environment.
 */

/** Schema properties of the `tls` and `proxy` options, for the endpoint option schemas. */
export const OUTBOUND_OPTION_PROPERTIES = {
  tls: CLIENT_TLS_SCHEMA,
  // Credentials may be given in the URL (`http://user:${PROXY_PASSWORD}@proxy:3128`); never shown.
  proxy: { type: 'string', pattern: '^https?://[^\\s/]+/?$' },
} as const;

/** The `tls` and `proxy` options as configured. */
export interface OutboundOptions {
  /** TLS to an `https` backend: CA, client certificate and key (secrets), servername, rejectUnauthorized. */
  readonly tls?: ClientTlsConfig;
  /** HTTP proxy every call of this endpoint goes through (`http://host:port`). */
  readonly proxy?: string;
}

/** The same, read: PEM text in place of secret references. */
export interface OutboundConnection {
  /** As read, with `ca` the system's roots plus the endpoint's CA. */
  readonly tls?: Omit<ClientTls, 'ca'> & { readonly ca?: readonly string[] };
  readonly proxy?: string;
}

/**
 * Reads an endpoint's `tls` and `proxy` (JCT_CONFIG_INVALID for an unreadable secret, a
 * certificate without key, or `tls` on a backend reached over plain `http`). `url` is the
 * backend's URL when the configuration gives it.
 */
export function readOutbound(endpoint: string, options: OutboundOptions, baseDir: string, url?: string, env: NodeJS.ProcessEnv = process.env): OutboundConnection {
  const where = `endpoints.${endpoint}`;
  if (options.tls !== undefined && url !== undefined && !/^https:/i.test(url)) {
    throw new JunctionError('JCT_CONFIG_INVALID', `${where}.tls: the endpoint's URL is not https, so there is no TLS to configure; use an https:// URL or remove tls.`);
  }
  const read = readClientTls(options.tls, `${where}.tls`, baseDir, env);
  // Node's `ca` replaces the trusted roots; an endpoint's CA is trusted besides them (a token
  // endpoint or WSDL host on a public certificate keeps working), and so are the CAs of
  // NODE_EXTRA_CA_CERTS, which Node adds to its own roots but not to `rootCertificates`.
  let tls: OutboundConnection['tls'];
  if (read !== undefined) {
    const { ca, ...rest } = read;
    tls = { ...rest, ...(ca !== undefined ? { ca: [...rootCertificates, ...extraCaCertificates(env), ca] } : {}) };
  }
  return { ...(tls ? { tls } : {}), ...(options.proxy !== undefined ? { proxy: options.proxy } : {}) };
}

/**
 * The PEM text of NODE_EXTRA_CA_CERTS, as Node read it at start (Node 20 cannot give it back);
 * none when unset or unreadable — Node has then warned at start and trusts none of it either.
 */
function extraCaCertificates(env: NodeJS.ProcessEnv): string[] {
  const file = env['NODE_EXTRA_CA_CERTS'];
  if (file === undefined || file === '') return [];
  try {
    return [readFileSync(file, 'utf8')];
  } catch {
    return [];
  }
}

/**
 * The connection to use for a host other than the backend (an OAuth token endpoint): the proxy
 * and the trusted CAs, but neither the backend's `servername` nor its client certificate.
 */
export function forOtherHosts(connection: OutboundConnection): OutboundConnection {
  const { tls, proxy } = connection;
  const trust = tls === undefined ? undefined : { ...(tls.ca !== undefined ? { ca: tls.ca } : {}), rejectUnauthorized: tls.rejectUnauthorized };
  return { ...(trust ? { tls: trust } : {}), ...(proxy !== undefined ? { proxy } : {}) };
}

/**
 * The connect options of `tls`: one secure context per TLS settings object, made once — with the
 * system's roots in `ca`, a context made per connection would parse some 140 certificates each
 * time — plus the name to verify and whether to.
 */
const contexts = new WeakMap<object, SecureContext>();
function connectTls(tls: NonNullable<OutboundConnection['tls']>): { secureContext: SecureContext; servername?: string; rejectUnauthorized: boolean } {
  let secureContext = contexts.get(tls);
  if (!secureContext) {
    const { ca, cert, key } = tls;
    secureContext = createSecureContext({ ...(ca !== undefined ? { ca: [...ca] } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}) });
    contexts.set(tls, secureContext);
  }
  return { secureContext, ...(tls.servername !== undefined ? { servername: tls.servername } : {}), rejectUnauthorized: tls.rejectUnauthorized };
}

/** Connection settings of one dispatcher. */
export interface DispatcherSettings {
  /** Keep-alive connections per origin. */
  readonly connections: number;
  readonly keepAliveTimeoutMs?: number;
  readonly headersTimeoutMs?: number;
  readonly bodyTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
}

/**
 * The undici dispatcher of an endpoint: a pool for one origin (or an agent for any origin, when
 * `origin` is not known in advance), through the proxy when there is one. With a proxy, an
 * `https` backend is reached through a CONNECT tunnel (TLS end to end with the backend); a plain
 * `http` backend is sent to the proxy as an absolute-URL request, which every HTTP proxy accepts
 * (many refuse CONNECT to ports other than 443).
 */
export function createDispatcher(connection: OutboundConnection, settings: DispatcherSettings, origin?: string): Dispatcher {
  const tls = connection.tls === undefined ? undefined : connectTls(connection.tls);
  const common = {
    connections: settings.connections,
    ...(settings.keepAliveTimeoutMs !== undefined ? { keepAliveTimeout: settings.keepAliveTimeoutMs } : {}),
    ...(settings.headersTimeoutMs !== undefined ? { headersTimeout: settings.headersTimeoutMs } : {}),
    ...(settings.bodyTimeoutMs !== undefined ? { bodyTimeout: settings.bodyTimeoutMs } : {}),
  };
  const connect = {
    ...(settings.connectTimeoutMs !== undefined ? { timeout: settings.connectTimeoutMs } : {}),
    ...(tls ?? {}),
  };
  if (connection.proxy !== undefined) {
    // The backend's TLS goes in requestTls (ProxyAgent makes its own connector for the proxy). The
    // factory hands the pool settings to every pool it makes: to the proxy for plain-http backends
    // (undici's Http1ProxyWrapper passes only `connect`), per backend for tunnelled ones.
    return new ProxyAgent({
      uri: connection.proxy, proxyTunnel: false, ...common, ...(tls ? { requestTls: tls } : {}),
      ...(settings.connectTimeoutMs !== undefined ? { proxyTls: { timeout: settings.connectTimeoutMs } } : {}),
      factory: (target: string | URL, options: Pool.Options) => new Pool(target, { ...common, ...options }),
    });
  }
  return origin !== undefined ? new Pool(origin, { ...common, connect }) : new Agent({ ...common, connect });
}

/** What to tell an operator about a TLS failure of endpoint `endpoint`. */
function tlsFailureHint(endpoint: string, failure: TlsFailure, code: string): string {
  switch (failure) {
    case 'hostname': return `the backend's certificate is not issued for the host in the URL (${code}); call it by a name the certificate has, or set endpoints.${endpoint}.tls.servername`;
    case 'expired': return `the backend's certificate is not valid now (${code})`;
    case 'handshake': return `the TLS handshake failed (${code}); if the backend asks for a client certificate, give it in endpoints.${endpoint}.tls.cert and key`;
    default: return `the backend's certificate is not trusted (${code}); give the CA that signed it in endpoints.${endpoint}.tls.ca`;
  }
}

/**
 * The status a proxy answered instead of passing a call on, from undici's errors: "Proxy response
 * (407) !== 200 when HTTP Tunneling" (CONNECT) or "Proxy Authentication Required (407)" (a plain
 * `http` backend, forwarded).
 */
function proxyTunnelStatus(error: unknown): number | undefined {
  const text = error instanceof Error ? error.message : '';
  const match = /^Proxy (?:response|Authentication Required) \((\d{3})\)/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** What to tell an operator when the proxy answered `status` instead of passing the call on. */
function proxyRefusalHint(endpoint: string, status: number): string {
  return status === 407
    ? `the proxy asks for credentials (HTTP 407); give them in endpoints.${endpoint}.proxy as http://user:password@host:port`
    : `the proxy refused to pass the call on (HTTP ${status})`;
}

/**
 * The error for a call (or a WSDL fetch, `what` saying so) that never reached the backend because
 * of the endpoint's TLS or proxy — JCT_ENDPOINT_UNREACHABLE with the hint what to set — or
 * undefined for any other failure. `details` are the caller's, extended.
 */
export function connectionFailure(endpoint: string, error: unknown, details: Readonly<Record<string, string | number | boolean>>, what = 'is unreachable'): JunctionError | undefined {
  const proxyStatus = proxyTunnelStatus(error);
  const code = String((error as { code?: unknown } | null)?.code);
  const tls = tlsFailureOf(code);
  const found: { hint: string; extra: Record<string, string | number> } | undefined = proxyStatus !== undefined ? { hint: proxyRefusalHint(endpoint, proxyStatus), extra: { proxyStatus } }
    : tls !== undefined ? { hint: tlsFailureHint(endpoint, tls, code), extra: { tls: code } } : undefined;
  if (!found) return undefined;
  return new JunctionError('JCT_ENDPOINT_UNREACHABLE', `Endpoint "${endpoint}" ${what}: ${found.hint}`, { details: { ...details, ...found.extra }, cause: error });
}

/** A proxy's own HTTP 407 answer, passed back as the call's status (a plain-http backend through a proxy that answers itself). */
export function proxyRefusal(endpoint: string, status: number, details: Readonly<Record<string, string | number | boolean>>, cause?: unknown): JunctionError {
  return new JunctionError('JCT_ENDPOINT_UNREACHABLE', `Endpoint "${endpoint}" is unreachable: ${proxyRefusalHint(endpoint, status)}`, {
    details, ...(cause !== undefined ? { cause } : {}),
  });
}
