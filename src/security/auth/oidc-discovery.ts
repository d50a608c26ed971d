import { BodyTooLarge, readCapped } from '../../core/read-capped';
import { jwksUrlProblem, signInUrlProblem } from './jwt-config-check';

/** Fetches a URL (the JWKS source's fetch: its CA, its proxy). */
export type Fetcher = (url: string, init: { readonly signal: AbortSignal; readonly headers: Record<string, string>; readonly redirect: 'manual' }) => Promise<Response>;

/** A discovery document is a few kilobytes; a larger answer is not one. */
const MAX_DOCUMENT_BYTES = 256 * 1024;

/** The discovery document's address for an issuer (OpenID Connect Discovery 1.0, section 4). */
function discoveryUrlOf(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/** Addresses of a discovery document Junction uses (OpenID Connect Discovery 1.0, section 3). */
export type ProviderEndpoint = 'jwks_uri' | 'authorization_endpoint' | 'token_endpoint';

/** What {@link discoverProvider} found: the endpoints asked for, and the PKCE methods the provider names (undefined: it does not say). */
export interface ProviderMetadata<E extends ProviderEndpoint> {
  readonly endpoints: Readonly<Record<E, string>>;
  readonly codeChallengeMethods?: readonly string[];
}

/**
 * Reads an identity provider's OpenID Connect discovery document
 * (`<issuer>/.well-known/openid-configuration`): it must be JSON, name exactly this issuer
 * (section 4.3: otherwise anyone who can answer at that address could hand over another
 * provider's keys or sign-in pages), and give each endpoint of `needs` as a URL that passes the
 * same checks as a configured `jwksUrl` (https, or http to a loopback host; no credentials).
 * Throws an Error saying what was wrong.
 */
export async function discoverProvider<E extends ProviderEndpoint>(issuer: string, fetcher: Fetcher, timeoutMs: number, needs: readonly E[]): Promise<ProviderMetadata<E>> {
  const url = discoveryUrlOf(issuer);
  // Named by host only in messages and logs, like the JWKS (an issuer's path may carry a tenant id).
  const where = `of the issuer (at ${new URL(url).host})`;
  // Redirects are not followed, as for the key set: one to plain http would let whoever sits on
  // that hop name their own jwks_uri.
  const response = await fetcher(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' }, redirect: 'manual' });
  if (response.status !== 200) {
    await response.body?.cancel();
    const redirect = response.status >= 300 && response.status < 400 ? ' (redirects are not followed: write the issuer exactly as the identity provider names itself)' : '';
    throw new Error(`the discovery document ${where} answered HTTP ${response.status} instead of 200${redirect}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(await readCapped(response.body, MAX_DOCUMENT_BYTES));
  } catch (error) {
    if (error instanceof BodyTooLarge) throw new Error(`the discovery document ${where} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
    throw new Error(`the discovery document ${where} is not JSON`);
  }
  const fields = typeof document === 'object' && document !== null ? document as Record<string, unknown> : {};
  if (fields['issuer'] !== issuer) {
    throw new Error(`the discovery document ${where} names the issuer ${JSON.stringify(fields['issuer'])}, not ${JSON.stringify(issuer)}; `
      + 'security.auth.jwt.issuer must be written exactly as the identity provider names itself');
  }
  const endpoints = {} as Record<E, string>;
  for (const name of needs) {
    const value = fields[name];
    if (typeof value !== 'string' || value === '') throw new Error(`the discovery document ${where} has no ${name}`);
    const problem = name === 'jwks_uri' ? jwksUrlProblem(value) : signInUrlProblem(value);
    if (problem !== undefined) throw new Error(`the ${name} of the discovery document ${where} ${problem}`);
    endpoints[name] = value;
  }
  const methods = fields['code_challenge_methods_supported'];
  return { endpoints, ...(Array.isArray(methods) ? { codeChallengeMethods: methods.filter((m): m is string => typeof m === 'string') } : {}) };
}

/** The JWKS URL an identity provider publishes in its discovery document ({@link discoverProvider}). */
export async function discoverJwksUrl(issuer: string, fetcher: Fetcher, timeoutMs: number): Promise<string> {
  return (await discoverProvider(issuer, fetcher, timeoutMs, ['jwks_uri'])).endpoints.jwks_uri;
}
