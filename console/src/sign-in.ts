/**
 * "Sign in with your identity provider": OpenID Connect authorization code flow with PKCE (S256),
 * as a public client (no secret). The server says where to go (sign-in.json); the state, code
 * verifier and nonce live in this tab's sessionStorage between leaving and coming back.
 */
import { jwtClaims, randomValue, s256Challenge } from './pkce.js';

/** What sign-in.json gives when single sign-on is configured (docs/security.md). */
export interface OidcSettings {
  issuer: string; authorization_endpoint: string; token_endpoint: string; client_id: string; scope: string;
  token: 'access' | 'id'; audience?: string; redirect_uri?: string;
}

/** Single sign-on's settings, `null` when it is not configured, or why it is unavailable now. */
export type SignInOffer = { oidc: OidcSettings | null } | { unavailable: string };

/** A sign-in under way: kept while the operator is at the identity provider. */
interface Pending { state: string; verifier: string; nonce: string; redirectUri: string; hash: string }

const PENDING_KEY = 'junction.sign-in';

/** Asks the server how to sign in. */
export async function signInOffer(): Promise<SignInOffer> {
  try {
    const response = await fetch('sign-in.json', { headers: { accept: 'application/json' } });
    const json = await response.json() as Record<string, unknown>;
    if (!response.ok) return { unavailable: String(json.detail ?? response.statusText) };
    return { oidc: (json.oidc ?? null) as OidcSettings | null };
  } catch (error) {
    return { unavailable: `Junction did not answer (${(error as Error).message})` };
  }
}

/**
 * Leaves for the identity provider's sign-in page; it sends the browser back with a code. Rejects
 * with the reason (in words) when the page cannot sign in this way.
 */
export async function startSignIn(settings: OidcSettings): Promise<void> {
  // Browsers offer crypto.subtle (the S256 challenge) only to secure contexts: https, or localhost.
  if (!globalThis.isSecureContext || crypto.subtle === undefined) {
    throw new Error(`Signing in with the identity provider needs the console on https:// (or on localhost): the browser withholds the cryptography PKCE needs from a page on plain http such as ${location.origin}. `
      + 'Open the console over https, or paste a token.');
  }
  const pending: Pending = {
    state: randomValue(), verifier: randomValue(), nonce: randomValue(),
    redirectUri: settings.redirect_uri ?? `${location.origin}${location.pathname.replace(/index\.html$/, '')}`, hash: location.hash,
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(settings.authorization_endpoint);
  const params: Record<string, string | undefined> = {
    response_type: 'code', client_id: settings.client_id, redirect_uri: pending.redirectUri, scope: settings.scope,
    state: pending.state, nonce: pending.nonce, code_challenge: await s256Challenge(pending.verifier), code_challenge_method: 'S256',
    audience: settings.audience,
  };
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  location.assign(url.href);
}

/** OAuth error codes (RFC 6749 4.1.2.1 and 5.2; OpenID Connect 3.1.2.6) in words an operator can act on. */
const PROVIDER_ERRORS: Record<string, string> = {
  access_denied: 'the sign-in was declined — by you, or because the identity provider does not let your account use the Junction console',
  login_required: 'the identity provider wants you to sign in first; try again',
  interaction_required: 'the identity provider needs something from you first (sign-in, consent or a second factor); try again',
  consent_required: 'the identity provider needs your consent first; try again',
  unauthorized_client: 'the identity provider does not let the console sign in this way: its client must be registered as a single-page application (public client) with the authorization code flow',
  invalid_client: 'the identity provider does not know the console\'s client id, or expects a client secret: register the console as a public client (single-page application)',
  invalid_scope: 'the identity provider does not know a scope the console asked for (admin.console.oidc.scope)',
  invalid_grant: 'the identity provider refused the sign-in code (expired, already used, or the redirect URI or PKCE verifier does not match); sign in again',
  invalid_request: 'the identity provider refused the request as malformed (check the console\'s redirect URI is registered for its client)',
  unsupported_response_type: 'the identity provider does not allow the authorization code flow for the console\'s client',
  server_error: 'the identity provider had a problem; try again in a moment',
  temporarily_unavailable: 'the identity provider is busy or down; try again in a moment',
};

function providerError(error: string, description: string | null | undefined): string {
  const words = Object.hasOwn(PROVIDER_ERRORS, error) ? PROVIDER_ERRORS[error] : 'the identity provider refused it';
  const said = `${error}${description ? `: ${description}` : ''}`.slice(0, 300);
  return `Sign-in failed: ${words} (${said}).`;
}

function takePending(): Pending | undefined {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  try {
    return raw ? JSON.parse(raw) as Pending : undefined;
  } catch {
    return undefined;
  }
}

/** Exchanges the code for tokens at the token endpoint (form-encoded, the verifier instead of a secret). */
async function exchange(settings: OidcSettings, pending: Pending, code: string): Promise<{ token: string } | { error: string }> {
  let response: Response;
  try {
    response = await fetch(settings.token_endpoint, {
      method: 'POST', headers: { accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: pending.redirectUri, client_id: settings.client_id, code_verifier: pending.verifier }),
    });
  } catch {
    return { error: `Sign-in failed: the browser could not read the answer of the identity provider's token endpoint (${new URL(settings.token_endpoint).host}). `
      + `It is down, or it does not allow this page's origin (${location.origin}): register that origin for the console's client (CORS "web origins").` };
  }
  const json = await response.json().catch(() => ({})) as Record<string, unknown>;
  if (!response.ok) return { error: providerError(String(json.error ?? `HTTP ${response.status}`), typeof json.error_description === 'string' ? json.error_description : undefined) };
  const token = settings.token === 'id' ? json.id_token : json.access_token;
  const name = settings.token === 'id' ? 'ID token' : 'access token';
  if (typeof token !== 'string' || token === '') return { error: `Sign-in failed: the identity provider's answer has no ${name}.` };
  if (!jwtClaims(token)) {
    return { error: `Sign-in failed: the identity provider gave an ${name} that is not a JWT, which the admin API cannot check. `
      + 'Configure it to issue JWT access tokens for Junction (an API audience), or use the ID token (admin.console.oidc.token: id).' };
  }
  // The nonce sent proves the ID token was issued for this sign-in, not replayed from another.
  const idClaims = typeof json.id_token === 'string' ? jwtClaims(json.id_token) : undefined;
  if ((idClaims !== undefined || settings.token === 'id') && idClaims?.nonce !== pending.nonce) {
    return { error: 'Sign-in failed: the ID token was not issued for this sign-in (its nonce does not match). Sign in again.' };
  }
  return { token };
}

/**
 * Completes a sign-in when the identity provider has sent the browser back (a `code` or `error`
 * in the query): checks the state, exchanges the code, and takes the code out of the address bar
 * and history. Undefined when this page load is not such a return.
 */
export async function finishSignIn(): Promise<{ token: string } | { error: string } | undefined> {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return undefined;
  const pending = takePending();
  history.replaceState(null, '', `${location.pathname}${pending?.hash ?? location.hash}`);
  if (!pending || params.get('state') !== pending.state) {
    return { error: 'Sign-in failed: this answer from the identity provider does not belong to a sign-in started in this tab (its state does not match), so it was not used. Sign in again.' };
  }
  const error = params.get('error');
  if (error !== null) return { error: providerError(error, params.get('error_description')) };
  const offer = await signInOffer();
  if (!('oidc' in offer) || offer.oidc === null) return { error: `Sign-in failed: ${'unavailable' in offer ? offer.unavailable : 'single sign-on is not configured'}.` };
  // RFC 9207: a provider that names itself in the answer must be the one the console sent the operator to.
  const iss = params.get('iss');
  if (iss !== null && iss !== offer.oidc.issuer) return { error: `Sign-in failed: the answer comes from another identity provider (${iss.slice(0, 200)}) than the console's. Sign in again.` };
  return exchange(offer.oidc, pending, params.get('code') ?? '');
}
