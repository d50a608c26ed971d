import { DECOY_PASSWORD, secretsEqual } from './constant-time';
import { authFailed, type Principal } from './principal';
import type { SoapUser } from './username-token';

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

  /**
   * The caller `credentials` (what follows `Basic `) name; JCT_AUTH_FAILED otherwise. The bytes are
   * read as UTF-8 (what the challenge asks for, RFC 7617) and as ISO-8859-1, which many clients
   * still send without being asked (Python's requests, older Java): a password with non-ASCII
   * characters works from both.
   */
  verify(credentials: string): Principal {
    const bytes = Buffer.from(credentials.trim(), 'base64');
    const readings = [...new Set([bytes.toString('utf8'), bytes.toString('latin1')])];
    if (credentials.trim() === '' || !readings[0]!.includes(':')) throw authFailed('The Basic credentials are not base64 of "username:password".');
    // Every reading is compared (no early exit), so timing does not tell which one matched.
    const matches = readings.map((decoded) => {
      const colon = decoded.indexOf(':');
      const user = this.users.get(decoded.slice(0, colon));
      return secretsEqual(decoded.slice(colon + 1), user?.password ?? DECOY_PASSWORD) ? user : undefined;
    });
    const user = matches.find((m) => m !== undefined);
    if (!user) throw authFailed('The Basic credentials\' username or password is wrong.');
    return { name: user.client, method: 'http-basic', roles: user.roles };
  }
}
