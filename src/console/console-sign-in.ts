import type { ConsoleOidcConfig } from '../config/admin-config-types';
import type { LoadedConfig } from '../config/load-config';
import { JunctionError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { IdpFetch } from '../security/auth/idp-fetch';
import { discoverProvider } from '../security/auth/oidc-discovery';
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
  readonly issuer: string;
  /** The fetch the JWKS uses (its CA, its proxy). */
  readonly fetch: IdpFetch;
  readonly timeoutMs: number;
  /** The document is read again after this long. */
  readonly cacheSeconds: number;
  /** After a failed read, the next waits this long (callers get the failure meanwhile). */
  readonly cooldownSeconds: number;
}

/**
 * The console's single sign-on settings: the identity provider's authorization and token
 * endpoints, read from its discovery document (oidc-discovery.ts, the same checks and fetch as for
 * the JWKS), kept `cacheSeconds`. While the document cannot be read, the last endpoints found stay
 * in use; without any, sign-in is unavailable (503 JCT_AUTH_UNAVAILABLE; tokens can still be
 * pasted). No I/O until {@link start} or the first question.
 */
export class ConsoleSignIn {
  private found: { at: number; endpoints: Endpoints } | undefined;
  private failed: { at: number; reason: string } | undefined;
  private reading: Promise<Endpoints> | undefined;

  constructor(private readonly options: ConsoleSignInOptions, private readonly logger: Logger) {}

  /** Reads the document in the background, so the first operator does not wait; a failure is a warning. */
  start(): void {
    this.endpoints().catch(() => undefined);
  }

  /** What the console is told; JCT_AUTH_UNAVAILABLE while the endpoints cannot be found. */
  async document(): Promise<SignInDocument> {
    const endpoints = await this.endpoints();
    const { oidc, issuer } = this.options;
    return {
      oidc: {
        issuer, authorization_endpoint: endpoints.authorization, token_endpoint: endpoints.token,
        client_id: oidc.clientId, scope: oidc.scope, token: oidc.token,
        ...(oidc.audience !== undefined ? { audience: oidc.audience } : {}),
        ...(oidc.redirectUri !== undefined ? { redirect_uri: oidc.redirectUri } : {}),
      },
    };
  }

  /** The origin the console posts to (its token endpoint), for the page's connect-src; undefined while it is not known. */
  async tokenOrigin(): Promise<string | undefined> {
    try {
      return new URL((await this.endpoints()).token).origin;
    } catch {
      return undefined;
    }
  }

  private async endpoints(): Promise<Endpoints> {
    const now = Date.now();
    if (this.found && now - this.found.at < this.options.cacheSeconds * 1000) return this.found.endpoints;
    if (this.failed && now - this.failed.at < this.options.cooldownSeconds * 1000) return this.fallback(this.failed.reason);
    this.reading ??= this.read().finally(() => { this.reading = undefined; });
    return this.reading;
  }

  private async read(): Promise<Endpoints> {
    const { issuer, fetch, timeoutMs } = this.options;
    try {
      const metadata = await discoverProvider(issuer, fetch, timeoutMs, ['authorization_endpoint', 'token_endpoint']);
      const methods = metadata.codeChallengeMethods;
      if (methods !== undefined && !methods.includes('S256')) {
        throw new Error(`the identity provider does not offer PKCE with S256 (code_challenge_methods_supported: ${methods.join(', ') || 'none'}), which the console needs`);
      }
      const endpoints = { authorization: metadata.endpoints.authorization_endpoint, token: metadata.endpoints.token_endpoint };
      if (this.failed || !this.found) this.logger.info('the console signs operators in at the identity provider', { issuerHost: new URL(issuer).host, tokenHost: new URL(endpoints.token).host });
      this.found = { at: Date.now(), endpoints };
      this.failed = undefined;
      return endpoints;
    } catch (error) {
      const reason = reasonOf(error);
      if (!this.failed) {
        this.logger.warn('cannot read the identity provider\'s discovery document: the console\'s "Sign in with your identity provider" is unavailable until it can (operators can still paste a token)', {
          issuerHost: new URL(issuer).host, reason, retryEverySeconds: this.options.cooldownSeconds, usingEarlierEndpoints: this.found !== undefined,
        });
      }
      this.failed = { at: Date.now(), reason };
      return this.fallback(reason);
    }
  }

  /** The endpoints found before, or JCT_AUTH_UNAVAILABLE saying why there are none. */
  private fallback(reason: string): Endpoints {
    if (this.found) return this.found.endpoints;
    throw new JunctionError('JCT_AUTH_UNAVAILABLE',
      `Signing in with the identity provider is not possible right now: ${reason}. Paste a token instead, or retry later.`,
      { details: { issuerHost: new URL(this.options.issuer).host } });
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
export function createConsoleSignIn(loaded: LoadedConfig, idpFetch: IdpFetch | undefined, logger: Logger): ConsoleSignIn | undefined {
  const issuer = consoleOidcIssuer(loaded);
  const oidc = loaded.config.admin.console.oidc;
  const jwt = loaded.config.security.auth.jwt;
  if (issuer === undefined || !oidc || !jwt || !idpFetch) return undefined;
  return new ConsoleSignIn({
    oidc, issuer, fetch: idpFetch, timeoutMs: jwt.jwksTimeoutMs, cacheSeconds: jwt.jwksCacheSeconds, cooldownSeconds: jwt.jwksCooldownSeconds,
  }, logger.child({ component: 'console' }));
}
