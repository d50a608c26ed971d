import { secretsEqual } from './constant-time';
import { authFailed, type Principal } from './principal';
import type { SoapUser } from './username-token';

/** A throw-away password that unknown users are checked against, so timing does not tell users apart. */
const DECOY = 'decoy-password-that-never-matches';

/**
 * HTTP Basic (RFC 7617) for callers whose stack sends nothing else: PHP's SoapClient with
 * `login`/`password`, JAX-WS's `BindingProvider.USERNAME_PROPERTY`, WCF's
 * `HttpClientCredentialType.Basic`. The users are the clients' `username`/`password` — the same
 * ones WS-Security UsernameTokens use — and only when `security.auth.httpBasic` is on. The
 * password travels in clear: only over TLS (Junction's, or the load balancer's).
 */
export class HttpBasicVerifier {
  private readonly users: ReadonlyMap<string, SoapUser>;

  constructor(users: readonly SoapUser[]) {
    this.users = new Map(users.map((u) => [u.username, u]));
  }

  /** The caller `credentials` (what follows `Basic `) name; JCT_AUTH_FAILED otherwise. */
  verify(credentials: string): Principal {
    const decoded = Buffer.from(credentials.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (credentials.trim() === '' || colon < 0) throw authFailed('The Basic credentials are not base64 of "username:password".');
    const user = this.users.get(decoded.slice(0, colon));
    const ok = secretsEqual(decoded.slice(colon + 1), user?.password ?? DECOY);
    if (!user || !ok) throw authFailed('The Basic credentials\' username or password is wrong.');
    return { name: user.client, method: 'http-basic', roles: user.roles };
  }
}
