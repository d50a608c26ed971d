import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors as joseErrors, jwksCache, type ExportedJWKSCache, type FetchImplementation, type FlattenedJWSInput, type JWKSCacheInput, type JWSHeaderParameters, type RemoteJWKSet } from 'jose';
import { JunctionError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { tlsFailureOf } from '../tls/tls-failure';
import type { DiscoveredProvider } from './discovered-provider';
import type { IdpFetch } from './idp-client';

/** Where the identity provider publishes its signing keys, and how Junction fetches them (`security.auth.jwt.jwks*`). */
export interface JwksOptions {
  /** The identity provider's client (`IdpClient.fetch`: `jwksCa`, the proxy variables), the one the discovery document is read with too. */
  readonly fetch: IdpFetch;
  /** The JWKS URL; exactly one of `url` and `discovery`. */
  readonly url?: string;
  /** Find the JWKS URL in this issuer's OpenID Connect discovery document (shared with the console's sign-in), at the first fetch and again when the keys move. */
  readonly discovery?: DiscoveredProvider;
  /** Keys are fetched again after this long even when every token's key is known. */
  readonly cacheSeconds: number;
  /** After a fetch, a token with an unknown `kid` waits this long before it causes another; also the pause between attempts while the URL cannot be reached. */
  readonly cooldownSeconds: number;
  /** A fetch that takes longer is abandoned. */
  readonly timeoutMs: number;
  /** While the URL cannot be reached, keys fetched at most this long ago (or `cacheSeconds`, if longer) stay in use. */
  readonly maxStaleSeconds: number;
}

/** A verification key as jose resolves it. */
type VerificationKey = Awaited<ReturnType<RemoteJWKSet>>;
type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<VerificationKey>;

/** jose's "the token's key is not (uniquely) in the set": the token's doing, answered 401. */
export function isKeySelectionError(error: unknown): boolean {
  return error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys;
}

/** The host of a URL, for messages (never its path or query, which may carry a tenant id). */
function hostOf(url: string): string {
  return new URL(url).host;
}

/**
 * The identity provider's signing keys, fetched from its JWKS URL with jose's createRemoteJWKSet
 * (cache, a cooldown before an unknown `kid` refetches, timeout). Adds what a production gateway
 * needs around it:
 * - a fetch that fails (unreachable, timeout, not 200, not a key set) is the identity provider's
 *   problem, not the caller's: JCT_AUTH_UNAVAILABLE (503, retryable), never JCT_AUTH_FAILED;
 * - while the URL cannot be reached, keys fetched within `maxStaleSeconds` stay in use, and the
 *   URL is tried at most once per cooldown (requests do not each wait for the timeout);
 * - one warning when an outage starts, one info line when it ends.
 * No I/O until {@link prefetch} or the first token.
 */
export class JwksKeySource {
  /** jose writes the last good set and its time (`uat`) here after every successful fetch. */
  private readonly cache: Partial<ExportedJWKSCache> = {};
  /** The key set; with discovery, made once the JWKS URL is known. */
  private remote: RemoteJWKSet | undefined;
  private remoteUrl: string | undefined;
  private discovering: Promise<RemoteJWKSet> | undefined;
  /** With discovery: the key set failed at this time, so the next attempt first reads a discovery document at least this young. */
  private rediscoverSince: number | undefined;
  private host: string;
  private outage: { since: number; retryAt: number } | undefined;
  private stale: { uat: number; resolve: KeyResolver } | undefined;
  /** Status of the last HTTP answer, for the outage warning. */
  private lastStatus: number | undefined;

  constructor(private readonly options: JwksOptions, private readonly logger: Logger) {
    const source = options.url ?? options.discovery?.issuer;
    if (source === undefined || (options.url !== undefined && options.discovery !== undefined)) {
      throw new JunctionError('JCT_CONFIG_INVALID', 'security.auth.jwt: give jwksUrl or discovery, one of them.');
    }
    this.host = hostOf(source);
    if (options.url !== undefined) {
      this.remote = this.remoteSetAt(options.url);
      this.remoteUrl = options.url;
    }
  }

  /** jose's remote key set at `url`, fetching through the identity provider's client. */
  private remoteSetAt(url: string): RemoteJWKSet {
    const fetchJwks: FetchImplementation = async (target, init) => {
      const response = await this.options.fetch(target, init);
      this.lastStatus = response.status;
      return response;
    };
    return createRemoteJWKSet(new URL(url), {
      cacheMaxAge: this.options.cacheSeconds * 1000,
      cooldownDuration: this.options.cooldownSeconds * 1000,
      timeoutDuration: this.options.timeoutMs,
      [jwksCache]: this.cache as JWKSCacheInput,
      [customFetch]: fetchJwks,
    });
  }

  /**
   * The key set, after finding its URL by discovery first when configured so (one discovery at a
   * time). The document is read again when the key set could not be fetched (the provider may have
   * moved it: a document younger than the failure) and, when a token names a key the set lacks
   * (`since` given), if it is older than `cacheSeconds` (the provider may publish new keys at a
   * new address while the old one still answers). A document the console's sign-in read serves as well.
   */
  private remoteSet(since = this.rediscoverSince): Promise<RemoteJWKSet> {
    const discovery = this.options.discovery;
    if (!discovery || (this.remote && since === undefined)) return Promise.resolve(this.remote as RemoteJWKSet);
    this.discovering ??= (async () => {
      const document = await (since === undefined ? discovery.current() : discovery.readSince(since));
      // Only a document younger than the keys' failure answers it (a young one for an unknown kid may not be).
      if (this.rediscoverSince !== undefined && document.readAt > this.rediscoverSince) this.rediscoverSince = undefined;
      const url = document.endpoint('jwks_uri');
      if (this.remote && url === this.remoteUrl) return this.remote;
      const moved = this.remote !== undefined;
      const remote = this.remoteSetAt(url);
      // The cache still holds the old address's keys: fetch the new set now, not after the cooldown.
      // A failure leaves the old remote (and its keys, for the stale rule) in place.
      if (moved) await remote.reload();
      [this.remote, this.remoteUrl, this.host] = [remote, url, hostOf(url)];
      this.logger.info(moved ? 'the issuer\'s OpenID Connect discovery document names a new JWKS URL: keys are fetched from there now'
        : 'found the JWKS URL in the issuer\'s OpenID Connect discovery document', { issuerHost: hostOf(discovery.issuer), jwksHost: this.host });
      return remote;
    })().finally(() => { this.discovering = undefined; });
    return this.discovering;
  }

  /** The key for a token from the remote set; with discovery, once more from a moved set when the key is unknown. */
  private async fromRemote(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<VerificationKey> {
    const remote = await this.remoteSet();
    try {
      return await remote(header, token);
    } catch (error) {
      if (!isKeySelectionError(error) || !this.options.discovery) throw error;
      // A document younger than cacheSeconds (whoever read it) is taken as it is: unknown kids cause no reads.
      const current = await this.remoteSet(Date.now() - this.options.cacheSeconds * 1000);
      if (current === remote) throw error;
      return current(header, token);
    }
  }

  /** The URL's host (for messages and log lines). */
  get where(): string {
    return this.host;
  }

  /** How long fetched keys stay usable while the URL fails: jwksCacheSeconds anyway, jwksMaxStaleSeconds can only extend it. */
  private get usableMs(): number {
    return Math.max(this.options.maxStaleSeconds, this.options.cacheSeconds) * 1000;
  }

  /** Seconds after a fetch before a token with an unknown `kid` makes Junction fetch again. */
  get cooldownSeconds(): number {
    return this.options.cooldownSeconds;
  }

  /** Fetches the key set once, so the first caller does not wait for it. Never rejects: a failure is the outage warning. */
  async prefetch(): Promise<void> {
    try {
      const remote = await this.remoteSet();
      await remote.reload();
      this.logger.info('fetched the JWKS of the JWT issuer', { jwksHost: this.host, keys: remote.jwks()?.keys.length ?? 0 });
    } catch (error) {
      this.failed(error);
    }
  }

  /** The key for a token's header, for jose's jwtVerify. Throws jose's key-selection errors (401) or JCT_AUTH_UNAVAILABLE (503). */
  readonly resolve: KeyResolver = async (header, token) => {
    if (this.outage && Date.now() < this.outage.retryAt) return this.fromStale(header, token);
    try {
      const key = await this.fromRemote(header, token);
      this.checkRecovered();
      return key;
    } catch (error) {
      if (isKeySelectionError(error)) {
        this.checkRecovered();
        throw error;
      }
      this.failed(error);
      return this.fromStale(header, token);
    }
  };

  /** Ends the outage once jose has fetched the set again. */
  private checkRecovered(): void {
    const uat = this.cache.uat;
    if (this.outage && uat !== undefined && uat >= this.outage.since) {
      this.logger.info('the JWKS of the JWT issuer can be fetched again', { jwksHost: this.host, downForSeconds: Math.round((uat - this.outage.since) / 1000) });
      this.outage = undefined;
    }
  }

  private failed(error: unknown): void {
    // With discovery, the next attempt reads the document first: the provider may have moved its keys.
    const now = Date.now();
    if (this.options.discovery && this.remote !== undefined) this.rediscoverSince = now;
    const retryAt = now + this.options.cooldownSeconds * 1000;
    if (this.outage) {
      this.outage.retryAt = retryAt;
      return;
    }
    this.outage = { since: now, retryAt };
    const uat = this.cache.uat;
    this.logger.warn('cannot fetch the JWKS of the JWT issuer: bearer tokens signed with keys Junction does not hold are answered 503 (JCT_AUTH_UNAVAILABLE) until it can', {
      jwksHost: this.host, reason: this.describe(error),
      knownKeysUsableForSeconds: uat === undefined ? 0 : Math.max(0, Math.round((uat + this.usableMs - now) / 1000)),
      retryEverySeconds: this.options.cooldownSeconds,
    });
  }

  /** Keys of the last good fetch, if young enough; JCT_AUTH_UNAVAILABLE otherwise. */
  private async fromStale(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<VerificationKey> {
    const { uat, jwks } = this.cache;
    if (uat !== undefined && jwks !== undefined && Date.now() - uat <= this.usableMs) {
      if (this.stale?.uat !== uat) this.stale = { uat, resolve: createLocalJWKSet(jwks) };
      try {
        return await this.stale.resolve(header, token);
      } catch (error) {
        // A key Junction never saw may be a new one it cannot fetch now: not the caller's fault.
        if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
      }
    }
    throw new JunctionError('JCT_AUTH_UNAVAILABLE',
      'Junction cannot check the bearer token right now: the identity provider\'s signing keys (JWKS) cannot be fetched. This is not a problem with the token; retry later.',
      { details: { jwksHost: this.host } });
  }

  private describe(error: unknown): string {
    if (error instanceof joseErrors.JWKSTimeout) return `no answer within ${this.options.timeoutMs} ms (security.auth.jwt.jwksTimeoutMs)`;
    if (error instanceof joseErrors.JWKSInvalid) return 'the answer is not a JSON Web Key Set';
    if (error instanceof joseErrors.JOSEError && /200 OK/.test(error.message)) {
      return `it answered HTTP ${this.lastStatus ?? '?'} instead of 200${this.lastStatus !== undefined && this.lastStatus >= 300 && this.lastStatus < 400 ? ' (redirects are not followed: configure the final URL)' : ''}`;
    }
    if (error instanceof joseErrors.JOSEError) return error.message;
    const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
    const code = typeof cause?.code === 'string' ? cause.code : undefined;
    const hint = {
      untrusted: '; the server\'s certificate is not trusted: give its CA in security.auth.jwt.jwksCa (or NODE_EXTRA_CA_CERTS)',
      hostname: '; the server\'s certificate is not issued for the host in the URL',
      expired: '; the server\'s certificate is not valid now',
      handshake: '',
      none: '',
    }[tlsFailureOf(code) ?? 'none'];
    return `${error instanceof Error ? error.message : String(error)}${code ? ` (${code})` : typeof cause?.message === 'string' ? ` (${cause.message})` : ''}${hint}`;
  }
}
