import type { ConfigPath } from '../config/config-location';
import { configProblem, type LoadedConfig } from '../config/load-config';
import { signInUrlProblem } from '../security/auth/jwt-config-check';

const OIDC: ConfigPath = ['admin', 'console', 'oidc'];

/**
 * What the schema cannot say about `admin.console.oidc`: the console's tokens are checked by the
 * admin API as bearer JWTs, so `security.auth.jwt` must be configured, and the console signs in at
 * one of its issuers (`oidc.issuer` when `jwt.issuer` lists several), an https URL (or loopback)
 * whose discovery document names the endpoints. With `token: id` the ID token's audience is the
 * client id, so `jwt.audience` must list it, and the `openid` scope is needed to get one.
 * Returns the issuer to sign in at (undefined without `oidc`); throws JCT_CONFIG_INVALID naming
 * file, line and path.
 */
export function consoleOidcIssuer(loaded: LoadedConfig): string | undefined {
  const oidc = loaded.config.admin.console.oidc;
  if (!oidc) return undefined;
  const jwt = loaded.config.security.auth.jwt;
  const problems: { path: ConfigPath; message: string }[] = [];
  if (!jwt) {
    throw configProblem(loaded.locator, [{ path: OIDC, message: 'needs security.auth.jwt with the identity provider\'s issuer, audience and keys (jwksUrl or discovery): the admin API checks the tokens the console gets as bearer JWTs; see docs/security.md, "Console sign-in with the identity provider"' }]);
  }
  const issuers = typeof jwt.issuer === 'string' ? [jwt.issuer] : jwt.issuer;
  let issuer = oidc.issuer;
  if (issuer === undefined && issuers.length > 1) {
    problems.push({ path: [...OIDC, 'issuer'], message: `must name the issuer to sign in at: security.auth.jwt.issuer lists several (${issuers.join(', ')})` });
  } else if (issuer !== undefined && !issuers.includes(issuer)) {
    problems.push({ path: [...OIDC, 'issuer'], message: `must be one of security.auth.jwt.issuer (${issuers.join(', ')}): the admin API would refuse the tokens of another issuer` });
  }
  issuer ??= issuers.length === 1 ? issuers[0] : undefined;
  const issuerProblem = issuer === undefined ? undefined : signInUrlProblem(issuer);
  if (issuerProblem !== undefined) {
    problems.push({ path: oidc.issuer !== undefined ? [...OIDC, 'issuer'] : ['security', 'auth', 'jwt', 'issuer'], message: `${issuerProblem} (the console finds the identity provider's sign-in endpoints at <issuer>/.well-known/openid-configuration)` });
  }
  if (oidc.token === 'id') {
    const audiences = typeof jwt.audience === 'string' ? [jwt.audience] : jwt.audience;
    if (!audiences.includes(oidc.clientId)) {
      problems.push({ path: [...OIDC, 'token'], message: `is "id", but an ID token's audience is the client id "${oidc.clientId}", which security.auth.jwt.audience (${audiences.join(', ')}) does not list: the admin API would refuse every sign-in` });
    }
    if (!oidc.scope.split(' ').includes('openid')) {
      problems.push({ path: [...OIDC, 'scope'], message: 'must include openid with token: id (without it the identity provider issues no ID token)' });
    }
  }
  if (oidc.redirectUri !== undefined) {
    const problem = signInUrlProblem(oidc.redirectUri);
    if (problem !== undefined) problems.push({ path: [...OIDC, 'redirectUri'], message: `${problem} (the console's address, e.g. https://junction.example.com/console/)` });
  }
  if (problems.length > 0) throw configProblem(loaded.locator, problems);
  return issuer;
}
