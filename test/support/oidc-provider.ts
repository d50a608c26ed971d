import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { idpKey, JwksServer, signToken, type IdpKey } from './jwks-server';

/** A code the provider issued, waiting for its exchange. */
interface IssuedCode {
  readonly challenge: string;
  readonly redirectUri: string;
  readonly nonce: string | undefined;
}

const base64url = (bytes: Buffer): string => bytes.toString('base64url');

/**
 * A test identity provider on loopback with OpenID Connect sign-in for a public client (PKCE):
 * a discovery document naming its endpoints (and its JWKS), an `/authorize` that checks the
 * client, the redirect URI and the S256 challenge and sends the browser straight back with a code
 * (the user is taken as signed in: {@link user}), and a `/token` that checks the code verifier
 * against the challenge and answers an access token (audience `junction`) and an ID token
 * (audience: the client id, the nonce), both signed with its key, with CORS headers for
 * {@link allowedOrigins} only. Codes are single use.
 */
export class OidcProvider {
  readonly server: JwksServer;
  readonly clientId = 'junction-console';
  /** Redirect URIs registered for the client. */
  redirectUris: string[] = [];
  /** Origins whose pages may read the token endpoint's answers (the client's "web origins"). */
  allowedOrigins: string[] = [];
  /** Claims of the signed-in user, in both tokens. */
  user: Record<string, unknown> = { sub: 'ann', roles: ['junction:operator'] };
  /** The next sign-in ends with this OAuth error instead of a code. */
  nextError: string | undefined;
  /** The next sign-in comes back with this state instead of the one sent. */
  nextState: string | undefined;
  /** The next sign-in comes back naming this issuer (RFC 9207 `iss`) instead of its own. */
  nextIss: string | undefined;
  /** The next ID token carries this nonce instead of the one asked for (a token replayed from another sign-in). */
  nextNonce: string | undefined;
  authorizeRequests = 0;
  tokenRequests = 0;
  /** What /authorize and /token refused, and why. */
  readonly refusals: string[] = [];
  private key: IdpKey | undefined;
  private readonly codes = new Map<string, IssuedCode>();

  /** `tls`: over HTTPS (https://localhost, certificate test/fixtures/tls/localhost.crt). */
  constructor(tls = false) {
    this.server = new JwksServer(tls);
  }

  get issuer(): string {
    return this.server.issuer;
  }

  get tokenEndpoint(): string {
    return `${this.issuer}/protocol/openid-connect/token`;
  }

  async start(): Promise<void> {
    this.key = await idpKey('sso-key');
    this.server.keys = [this.key];
    this.server.handlers.set('/realms/crm/protocol/openid-connect/auth', (req, res) => this.authorize(req, res));
    this.server.handlers.set('/realms/crm/protocol/openid-connect/token', (req, res) => void this.token(req, res));
    await this.server.start();
    this.server.discovery = {
      authorization_endpoint: `${this.issuer}/protocol/openid-connect/auth`, token_endpoint: this.tokenEndpoint,
      code_challenge_methods_supported: ['plain', 'S256'], response_types_supported: ['code'],
    };
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private refuse(res: ServerResponse, why: string): void {
    this.refusals.push(why);
    res.writeHead(400, { 'content-type': 'text/plain' }).end(why);
  }

  private authorize(req: IncomingMessage, res: ServerResponse): void {
    this.authorizeRequests += 1;
    const query = new URL(req.url ?? '/', this.issuer).searchParams;
    const redirectUri = query.get('redirect_uri') ?? '';
    // An unknown client or redirect URI is never redirected to (RFC 6749 4.1.2.1).
    if (query.get('client_id') !== this.clientId) return this.refuse(res, `unknown client_id ${query.get('client_id')}`);
    if (!this.redirectUris.includes(redirectUri)) return this.refuse(res, `redirect_uri ${redirectUri} is not registered`);
    const back = new URL(redirectUri);
    const state = this.nextState ?? query.get('state');
    this.nextState = undefined;
    if (state !== null) back.searchParams.set('state', state);
    // RFC 9207, as Keycloak does: the answer names who issued it.
    back.searchParams.set('iss', this.nextIss ?? this.issuer);
    this.nextIss = undefined;
    const challenge = query.get('code_challenge') ?? '';
    let error = this.nextError;
    this.nextError = undefined;
    if (query.get('response_type') !== 'code') error ??= 'unsupported_response_type';
    if (query.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) error ??= 'invalid_request';
    if (error !== undefined) {
      back.searchParams.set('error', error);
      back.searchParams.set('error_description', `test provider: ${error}`);
    } else {
      const code = base64url(randomBytes(24));
      this.codes.set(code, { challenge, redirectUri, nonce: query.get('nonce') ?? undefined });
      back.searchParams.set('code', code);
    }
    res.writeHead(302, { location: back.href }).end();
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    const cors: Record<string, string> = origin !== undefined && this.allowedOrigins.includes(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type, accept' }).end();
      return;
    }
    this.tokenRequests += 1;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const fail = (error: string, description: string): void => {
      this.refusals.push(`${error}: ${description}`);
      res.writeHead(400, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify({ error, error_description: description }));
    };
    const code = form.get('code') ?? '';
    const issued = this.codes.get(code);
    this.codes.delete(code);
    if (req.method !== 'POST' || form.get('grant_type') !== 'authorization_code') return fail('unsupported_grant_type', 'POST grant_type=authorization_code');
    if (form.has('client_secret') || req.headers.authorization !== undefined) return fail('invalid_client', 'a public client sends no secret');
    if (form.get('client_id') !== this.clientId) return fail('invalid_client', 'unknown client_id');
    if (!issued) return fail('invalid_grant', 'unknown or used code');
    if (form.get('redirect_uri') !== issued.redirectUri) return fail('invalid_grant', 'redirect_uri differs from the authorization request');
    const verifier = form.get('code_verifier') ?? '';
    if (base64url(createHash('sha256').update(verifier, 'ascii').digest()) !== issued.challenge) return fail('invalid_grant', 'code_verifier does not match the code_challenge');
    const key = this.key as IdpKey;
    const accessToken = await signToken(key, this.user, { issuer: this.issuer, audience: 'junction' });
    const nonce = this.nextNonce ?? issued.nonce;
    this.nextNonce = undefined;
    const idToken = await signToken(key, { ...this.user, ...(nonce !== undefined ? { nonce } : {}) }, { issuer: this.issuer, audience: this.clientId });
    res.writeHead(200, { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify({ access_token: accessToken, id_token: idToken, token_type: 'Bearer', expires_in: 300 }));
  }
}
