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

/** The dispatcher: through the proxy, with the private CA, both, or none (Node's fetch). */
function dispatcherFor(options: IdpConnection): Dispatcher | undefined {
  const tls = options.ca === undefined ? {} : { connect: { ca: options.ca }, requestTls: { ca: options.ca } };
  if (options.proxy) {
    // Each setting passed explicitly (empty when unset), so undici never reads process.env behind our back.
    return new EnvHttpProxyAgent({ httpProxy: options.proxy.httpProxy ?? '', httpsProxy: options.proxy.httpsProxy ?? '', noProxy: options.proxy.noProxy ?? '', ...tls });
  }
  return options.ca === undefined ? undefined : new Agent({ connect: { ca: options.ca } });
}

/**
 * The fetch for the identity provider's JWKS and discovery document: undici's fetch with its own
 * CA or the proxy when given; Node's fetch (which honours NODE_EXTRA_CA_CERTS) otherwise.
 */
export function createIdpFetch(options: IdpConnection): IdpFetch {
  const agent = dispatcherFor(options);
  return async (url, { headers, ...init }) => (agent
    ? await undiciFetch(url, { ...init, headers: Object.fromEntries(new Headers(headers)), dispatcher: agent }) as unknown as Response
    : await fetch(url, { ...init, headers }));
}
