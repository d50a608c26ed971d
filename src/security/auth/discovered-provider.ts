import type { IdpFetch } from './idp-client';
import { readDiscoveryDocument, type DiscoveryDocument } from './oidc-discovery';

/** How an identity provider's discovery document is read and kept (the `security.auth.jwt.jwks*` options). */
export interface DiscoveredProviderOptions {
  /** The identity provider's client (`IdpClient.fetch`: `jwksCa`, the proxy variables), shared with the key set's fetches. */
  readonly fetch: IdpFetch;
  /** A read that takes longer is abandoned (`jwksTimeoutMs`). */
  readonly timeoutMs: number;
  /** {@link DiscoveredProvider.current} reads a document this old again (`jwksCacheSeconds`). */
  readonly cacheSeconds: number;
  /** After a failed read, callers get that failure for this long instead of a new read (`jwksCooldownSeconds`). */
  readonly cooldownSeconds: number;
}

/**
 * One identity provider as its OpenID Connect discovery document describes it
 * (oidc-discovery.ts: the issuer must match, the endpoints pass the URL checks), shared by
 * everything in Junction that needs the document — the JWKS key source (`jwks_uri`) and the
 * console's single sign-on (authorization and token endpoints) — so that one read serves both:
 * one cache, one read in flight for all concurrent callers, and one cooldown after a failure.
 * Callers choose how fresh the document must be: by age ({@link current}) or read after a moment
 * ({@link readSince}: "the keys failed at that moment, look again"). No I/O until asked.
 */
export class DiscoveredProvider {
  private document: DiscoveryDocument | undefined;
  private failure: { readonly at: number; readonly error: unknown } | undefined;
  private reading: Promise<DiscoveryDocument> | undefined;

  constructor(readonly issuer: string, private readonly options: DiscoveredProviderOptions) {}

  /** Seconds between attempts while the document cannot be read. */
  get cooldownSeconds(): number {
    return this.options.cooldownSeconds;
  }

  /** The last document read, however old (for answers that must not wait: stale while it revalidates); undefined before the first. */
  get lastKnown(): DiscoveryDocument | undefined {
    return this.document;
  }

  /** The document, read again once it is `cacheSeconds` old. Rejects with the read's Error. */
  current(): Promise<DiscoveryDocument> {
    return this.readSince(Date.now() - this.options.cacheSeconds * 1000);
  }

  /**
   * A document that arrived after `since` (ms since the epoch): the one held when it is young
   * enough, else the read in flight, else a new read — unless the last read failed less than
   * `cooldownSeconds` ago, in which case that failure is the answer and nothing is fetched.
   */
  readSince(since: number): Promise<DiscoveryDocument> {
    if (this.document && this.document.readAt > since) return Promise.resolve(this.document);
    if (this.reading) return this.reading;
    if (this.failure && Date.now() - this.failure.at < this.options.cooldownSeconds * 1000) return Promise.reject(this.failure.error);
    this.reading = this.read().finally(() => { this.reading = undefined; });
    return this.reading;
  }

  private async read(): Promise<DiscoveryDocument> {
    try {
      this.document = await readDiscoveryDocument(this.issuer, this.options.fetch, this.options.timeoutMs);
      this.failure = undefined;
      return this.document;
    } catch (error) {
      this.failure = { at: Date.now(), error };
      throw error;
    }
  }
}

/** The {@link DiscoveredProvider} of each issuer: one object per issuer, whoever asks. */
export class DiscoveredProviders {
  private readonly byIssuer = new Map<string, DiscoveredProvider>();

  constructor(private readonly options: DiscoveredProviderOptions) {}

  /** The provider of `issuer`, made at the first call (no I/O). */
  of(issuer: string): DiscoveredProvider {
    let provider = this.byIssuer.get(issuer);
    if (!provider) {
      provider = new DiscoveredProvider(issuer, this.options);
      this.byIssuer.set(issuer, provider);
    }
    return provider;
  }
}
