import type { ConsoleOidcConfig } from '../config/admin-config-types';
import type { LoadedConfig } from '../config/load-config';
import { JunctionError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { DiscoveredProvider, DiscoveredProviders } from '../security/auth/discovered-provider';
import type { DiscoveryDocument } from '../security/auth/oidc-discovery';
import { consoleOidcIssuer } from './console-oidc-config';

/**
 * What the console is told at `/console/sign-in.json` (docs/security.md, "Console sign-in with the
 * identity provider"): public facts only — the client is public, and nothing here is a secret.
 * Names as in OpenID Connect; `redirect_uri` only when configured (else the console's own address).
 */
export interface SignInDocument {
  readonly oidc: {
    readonly issuer: string;
    readonly authorization_endpoint: string;
    readonly token_endpoint: string;
    readonly client_id: string;
    readonly scope: string;
    /** Which token of the token endpoint's answer the console sends to the admin API. */
    readonly token: 'access' | 'id';
    readonly audience?: string;
    readonly redirect_uri?: string;
  } | null;
}

/** The endpoints the console needs from the discovery document. */
interface Endpoints {
  readonly authorization: string;
  readonly token: string;
}

/** What {@link ConsoleSignIn} needs. */
export interface ConsoleSignInOptions {
  readonly oidc: ConsoleOidcConfig;
  /** The issuer's discovery document, read and kept for the JWKS key source too (discovered-provider.ts). */
  readonly provider: DiscoveredProvider;
}

/** The console's endpoints in a discovery document; throws an Error when one is missing or unusable, or PKCE with S256 is not offered. */
function endpointsIn(document: DiscoveryDocument): Endpoints {
  const endpoints = { authorization: document.endpoint('authorization_endpoint'), token: document.endpoint('token_endpoint') };
  const methods = document.codeChallengeMethods;
  if (methods !== undefined && !methods.includes('S256')) {
    throw new Error(`the identity provider does not offer PKCE with S256 (code_challenge_methods_supported: ${methods.join(', ') || 'none'}), which the console needs`);
  }
  return endpoints;
}

/** The console's endpoints in a document, or undefined when it has none the console can use. */
function usableEndpointsIn(document: DiscoveryDocument | undefined): Endpoints | undefined {
  try {
    return document === undefined ? undefined : endpointsIn(document);
  } catch {
    return undefined;
  }
}

/**
 * The console's single sign-on settings: the identity provider's authorization and token
 * endpoints, from its discovery document as the shared {@link DiscoveredProvider} holds it (read
 * again after `jwksCacheSeconds`; the same read, checks and fetch as for the JWKS). While the
 * document cannot be read, the endpoints of the last document read stay in use; without any,
 * sign-in is unavailable (503 JCT_AUTH_UNAVAILABLE; tokens can still be pasted). No I/O until
 * {@link start} or the first question.
 */
export class ConsoleSignIn {
  /** How the last attempt went: one info line when sign-in becomes available, one warning when it stops being. */
  private state: 'new' | 'available' | 'unavailable' = 'new';

  constructor(private readonly options: ConsoleSignInOptions, private readonly logger: Logger) {}

  /** Reads the document in the background, so the first operator does not wait; a failure is a warning. */
  start(): void {
    this.endpoints().catch(() => undefined);
  }

  /** What the console is told; JCT_AUTH_UNAVAILABLE while the endpoints cannot be found. */
  async document(): Promise<SignInDocument> {
    const endpoints = await this.endpoints();
    const { oidc, provider } = this.options;
    return {
      oidc: {
        issuer: provider.issuer, authorization_endpoint: endpoints.authorization, token_endpoint: endpoints.token,
        client_id: oidc.clientId, scope: oidc.scope, token: oidc.token,
        ...(oidc.audience !== undefined ? { audience: oidc.audience } : {}),
        ...(oidc.redirectUri !== undefined ? { redirect_uri: oidc.redirectUri } : {}),
      },
    };
  }

  /**
   * The origin the console posts to (its token endpoint), for the page's connect-src; undefined
   * while it is not known. Stale while it revalidates: once a document has been read, its token
   * endpoint answers at once and a due read runs in the background, so no page waits for an
   * identity provider that is slow or down; only before the first document does a page wait for it.
   */
  async tokenOrigin(): Promise<string | undefined> {
    const known = this.options.provider.lastKnown;
    if (known !== undefined) this.start();
    const endpoints = known !== undefined ? usableEndpointsIn(known) : await this.endpoints().catch(() => undefined);
    return endpoints === undefined ? undefined : new URL(endpoints.token).origin;
  }

  private async endpoints(): Promise<Endpoints> {
    const { provider } = this.options;
    let endpoints: Endpoints;
    try {
      endpoints = endpointsIn(await provider.current());
    } catch (error) {
      return this.fallback(reasonOf(error));
    }
    if (this.state !== 'available') this.logger.info('the console signs operators in at the identity provider', { issuerHost: new URL(provider.issuer).host, tokenHost: new URL(endpoints.token).host });
    this.state = 'available';
    return endpoints;
  }

  /** The endpoints of the last document read, or JCT_AUTH_UNAVAILABLE saying why there are none. */
  private fallback(reason: string): Endpoints {
    const { provider } = this.options;
    const earlier = usableEndpointsIn(provider.lastKnown);
    if (this.state !== 'unavailable') {
      this.logger.warn('cannot read the identity provider\'s discovery document: the console\'s "Sign in with your identity provider" is unavailable until it can (operators can still paste a token)', {
        issuerHost: new URL(provider.issuer).host, reason, retryEverySeconds: provider.cooldownSeconds, usingEarlierEndpoints: earlier !== undefined,
      });
      this.state = 'unavailable';
    }
    if (earlier) return earlier;
    throw new JunctionError('JCT_AUTH_UNAVAILABLE',
      `Signing in with the identity provider is not possible right now: ${reason}. Paste a token instead, or retry later.`,
      { details: { issuerHost: new URL(provider.issuer).host } });
  }
}

/** Why a read failed, in words (the cause's code for network errors). */
function reasonOf(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'the discovery document did not arrive in time (security.auth.jwt.jwksTimeoutMs)';
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
  return `${error instanceof Error ? error.message : String(error)}${code}`;
}

/**
 * The console's sign-in as `admin.console.oidc` configures it, checked now (JCT_CONFIG_INVALID
 * naming the path); undefined when it is not configured. No I/O.
 */
export function createConsoleSignIn(loaded: LoadedConfig, providers: DiscoveredProviders | undefined, logger: Logger): ConsoleSignIn | undefined {
  const issuer = consoleOidcIssuer(loaded);
  const oidc = loaded.config.admin.console.oidc;
  if (issuer === undefined || !oidc || !providers) return undefined;
  return new ConsoleSignIn({ oidc, provider: providers.of(issuer) }, logger.child({ component: 'console' }));
}
