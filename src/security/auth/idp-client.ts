import { Agent, EnvHttpProxyAgent, fetch as undiciFetch, type Dispatcher } from 'undici';

/** The proxy variables of an environment. */
export interface ProxySettings {
  readonly httpProxy?: string;
  readonly httpsProxy?: string;
  readonly noProxy?: string;
}

/** The proxy settings an environment gives (undefined: no proxy variable set). */
export function proxyFromEnv(env: NodeJS.ProcessEnv): ProxySettings | undefined {
  const pick = (name: string): string | undefined => {
    const value = env[name.toLowerCase()] ?? env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const httpProxy = pick('HTTP_PROXY');
  const httpsProxy = pick('HTTPS_PROXY');
  if (httpProxy === undefined && httpsProxy === undefined) return undefined;
  const noProxy = pick('NO_PROXY');
  return { ...(httpProxy ? { httpProxy } : {}), ...(httpsProxy ? { httpsProxy } : {}), ...(noProxy ? { noProxy } : {}) };
}

/** How Junction reaches its identity provider (`security.auth.jwt.jwksCa`, the proxy variables). */
export interface IdpConnection {
  /** PEM bundle of the CAs that sign the identity provider's certificate (instead of the public CAs). */
  readonly ca?: string;
  /**
   * Outbound proxy, as curl and most tools read it: `HTTPS_PROXY` / `HTTP_PROXY` (or lower case),
   * `NO_PROXY` for hosts to reach directly. Node's own fetch ignores these variables.
   */
  readonly proxy?: ProxySettings;
}

/** What a fetch of the key set or the discovery document passes (GET, no body). */
export interface IdpFetchInit {
  readonly headers: Headers | Record<string, string>;
  readonly signal: AbortSignal;
  readonly method?: string;
  readonly redirect?: 'manual' | 'follow' | 'error';
}

/** A fetch of one of the identity provider's documents. */
export type IdpFetch = (url: string, init: IdpFetchInit) => Promise<Response>;

/**
 * The one dispatcher (connection pool) for the identity provider: through the proxy, with the
 * private CA, both, or neither. Always undici's own (never Node's global one), so that Junction
 * can close it at shutdown. Without `ca` the TLS connector uses Node's default trust store: the
 * public CAs and `NODE_EXTRA_CA_CERTS`.
 */
function dispatcherFor(options: IdpConnection): Dispatcher {
  // One connection per host of the identity provider (an undici Client, not a Pool): its requests
  // are few and mostly one after another (discovery document, then key set), and a pool opens a
  // second connection when a request starts in the same tick as the previous answer was read,
  // before the first connection counts as free. Requests at the same time queue on it instead;
  // each keeps its own timeout, waiting included.
  const tls = options.ca === undefined ? {} : { connect: { ca: options.ca }, requestTls: { ca: options.ca } };
  if (options.proxy) {
    // Each setting passed explicitly (empty when unset), so undici never reads process.env behind our back.
    return new EnvHttpProxyAgent({
      httpProxy: options.proxy.httpProxy ?? '', httpsProxy: options.proxy.httpsProxy ?? '', noProxy: options.proxy.noProxy ?? '', connections: 1, ...tls,
    });
  }
  return new Agent({ connections: 1, ...(options.ca === undefined ? {} : { connect: { ca: options.ca } }) });
}

/**
 * The one HTTP client Junction uses for its identity provider (`security.auth.jwt`): the
 * discovery document (for the key source and the console's sign-in alike) and the key set all go
 * through {@link fetch}, over one undici dispatcher built here — one pool of keep-alive
 * connections, one set of TLS sessions, one place where `jwksCa` and the proxy variables apply.
 * Built once at boot (security-setup.ts), closed once at shutdown (app.ts). No I/O until the
 * first fetch.
 */
export class IdpClient {
  private readonly dispatcher: Dispatcher;
  private closing: Promise<void> | undefined;

  constructor(connection: IdpConnection) {
    this.dispatcher = dispatcherFor(connection);
  }

  /** A fetch over this client's connections (undici's fetch; headers passed as a plain object, which both undicis read). */
  readonly fetch: IdpFetch = async (url, { headers, ...init }) => {
    if (this.closing) throw new Error('the connection to the identity provider is closed: Junction is stopping');
    return await undiciFetch(url, { ...init, headers: Object.fromEntries(new Headers(headers)), dispatcher: this.dispatcher }) as unknown as Response;
  };

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Closes the connections once the requests in flight are done (each ends by its own timeout,
   * `jwksTimeoutMs`, at the latest); later fetches reject. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.dispatcher.close();
    return this.closing;
  }
}
