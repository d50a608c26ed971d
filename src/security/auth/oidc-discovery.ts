import { BodyTooLarge, readCapped } from '../../core/read-capped';
import type { IdpFetch } from './idp-client';
import { jwksUrlProblem, signInUrlProblem } from './jwt-config-check';

/** A discovery document is a few kilobytes; a larger answer is not one. */
const MAX_DOCUMENT_BYTES = 256 * 1024;

/** The discovery document's address for an issuer (OpenID Connect Discovery 1.0, section 4). */
function discoveryUrlOf(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/** Addresses of a discovery document Junction uses (OpenID Connect Discovery 1.0, section 3). */
export type ProviderEndpoint = 'jwks_uri' | 'authorization_endpoint' | 'token_endpoint';

const ENDPOINTS: readonly ProviderEndpoint[] = ['jwks_uri', 'authorization_endpoint', 'token_endpoint'];

/** An endpoint of the document: its URL, or why it cannot be used. */
type CheckedEndpoint = { readonly url: string } | { readonly problem: string };

/**
 * A discovery document that names the expected issuer, with each endpoint Junction uses checked
 * once, when it was read: the JWKS's by the rules of a configured `jwksUrl`, the sign-in
 * endpoints by those of a URL a browser visits. Immutable.
 */
export class DiscoveryDocument {
  constructor(
    readonly issuer: string,
    /** When it arrived (ms since the epoch). */
    readonly readAt: number,
    private readonly endpoints: Readonly<Record<ProviderEndpoint, CheckedEndpoint>>,
    /** The PKCE methods the provider names (undefined: it does not say). */
    readonly codeChallengeMethods: readonly string[] | undefined,
  ) {}

  /** The URL of an endpoint; throws an Error saying why it is missing or cannot be used. */
  endpoint(name: ProviderEndpoint): string {
    const checked = this.endpoints[name];
    if ('problem' in checked) throw new Error(checked.problem);
    return checked.url;
  }
}

/** An endpoint's URL checked by the rules for its kind (`where` names the document in messages). */
function checkEndpoint(name: ProviderEndpoint, value: unknown, where: string): CheckedEndpoint {
  if (typeof value !== 'string' || value === '') return { problem: `the discovery document ${where} has no ${name}` };
  const problem = name === 'jwks_uri' ? jwksUrlProblem(value) : signInUrlProblem(value);
  return problem === undefined ? { url: value } : { problem: `the ${name} of the discovery document ${where} ${problem}` };
}

/**
 * Reads an identity provider's OpenID Connect discovery document
 * (`<issuer>/.well-known/openid-configuration`): it must be JSON and name exactly this issuer
 * (section 4.3: otherwise anyone who can answer at that address could hand over another
 * provider's keys or sign-in pages); each endpoint is checked as {@link DiscoveryDocument} says
 * (https, or http to a loopback host; no credentials). Throws an Error saying what was wrong.
 */
export async function readDiscoveryDocument(issuer: string, fetch: IdpFetch, timeoutMs: number): Promise<DiscoveryDocument> {
  const url = discoveryUrlOf(issuer);
  // Named by host only in messages and logs, like the JWKS (an issuer's path may carry a tenant id).
  const where = `of the issuer (at ${new URL(url).host})`;
  // Redirects are not followed, as for the key set: one to plain http would let whoever sits on
  // that hop name their own jwks_uri.
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' }, redirect: 'manual' });
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
  const endpoints = Object.fromEntries(ENDPOINTS.map((name) => [name, checkEndpoint(name, fields[name], where)])) as Record<ProviderEndpoint, CheckedEndpoint>;
  const methods = fields['code_challenge_methods_supported'];
  return new DiscoveryDocument(issuer, Date.now(), endpoints, Array.isArray(methods) ? methods.filter((m): m is string => typeof m === 'string') : undefined);
}
