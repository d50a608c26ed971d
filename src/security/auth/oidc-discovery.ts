import { BodyTooLarge, readCapped } from '../../core/read-capped';
import { jwksUrlProblem } from './jwt-config-check';

/** Fetches a URL (the JWKS source's fetch: its CA, its proxy). */
export type Fetcher = (url: string, init: { readonly signal: AbortSignal; readonly headers: Record<string, string>; readonly redirect: 'manual' }) => Promise<Response>;

/** A discovery document is a few kilobytes; a larger answer is not one. */
const MAX_DOCUMENT_BYTES = 256 * 1024;

/** The discovery document's address for an issuer (OpenID Connect Discovery 1.0, section 4). */
function discoveryUrlOf(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/**
 * The JWKS URL an identity provider publishes in its OpenID Connect discovery document
 * (`<issuer>/.well-known/openid-configuration`): the document must be JSON, name exactly this
 * issuer (section 4.3: otherwise anyone who can answer at that address could hand over another
 * provider's keys), and give a `jwks_uri` that passes the same checks as a configured `jwksUrl`
 * (https, or http to a loopback host; no credentials). Throws an Error saying what was wrong.
 */
export async function discoverJwksUrl(issuer: string, fetcher: Fetcher, timeoutMs: number): Promise<string> {
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
  const jwksUri = fields['jwks_uri'];
  if (typeof jwksUri !== 'string' || jwksUri === '') throw new Error(`the discovery document ${where} has no jwks_uri`);
  const problem = jwksUrlProblem(jwksUri);
  if (problem !== undefined) throw new Error(`the jwks_uri of the discovery document ${where} ${problem}`);
  return jwksUri;
}
