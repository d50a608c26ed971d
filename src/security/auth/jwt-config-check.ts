import { isIP } from 'node:net';
import type { ConfigPath } from '../../config/config-location';
import { configProblem, type LoadedConfig } from '../../config/load-config';

const JWT: ConfigPath = ['security', 'auth', 'jwt'];

/** True for `localhost`, 127.0.0.0/8 and ::1: traffic that never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * What the schema cannot say about `security.auth.jwt`: exactly one source of keys (`secret`,
 * `publicKey` or `jwksUrl`), a JWKS only for public-key algorithms, and a JWKS URL that is
 * `https://` unless it stays on this machine (a key set fetched over plain HTTP could be replaced
 * on the way, and whoever replaces it can sign any token). Throws JCT_CONFIG_INVALID naming file,
 * line and path.
 */
export function checkJwtConfig(loaded: LoadedConfig): void {
  const jwt = loaded.config.security.auth.jwt;
  if (!jwt) return;
  const problems: { path: ConfigPath; message: string }[] = [];
  const sources = (['secret', 'publicKey', 'jwksUrl'] as const).filter((k) => jwt[k] !== undefined);
  if (sources.length > 1) {
    problems.push({ path: [...JWT, sources[1]!], message: `give one source of keys, not ${sources.join(' and ')}: secret (HS*), publicKey or jwksUrl (RS*, PS*, ES*)` });
  }
  if (jwt.jwksUrl !== undefined) {
    const hs = jwt.algorithms.filter((a) => a.startsWith('HS'));
    if (hs.length > 0) {
      problems.push({ path: [...JWT, 'algorithms'], message: `${hs.join(', ')} cannot be used with jwksUrl: a JWKS publishes public keys, so accept RS*, PS* or ES* algorithms only` });
    }
    let url: URL | undefined;
    try {
      url = new URL(jwt.jwksUrl);
    } catch {
      problems.push({ path: [...JWT, 'jwksUrl'], message: 'is not a URL; write the identity provider\'s JWKS address, e.g. https://idp.example.com/realms/crm/protocol/openid-connect/certs' });
    }
    if (url && url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
      problems.push({ path: [...JWT, 'jwksUrl'], message: url.protocol === 'http:'
        ? `must use https:// (plain http:// only to a loopback host): whoever can change the key set on the way to ${url.host} can sign tokens Junction accepts`
        : `must be an https:// URL (got ${url.protocol})` });
    }
    if (url && (url.username !== '' || url.password !== '')) {
      problems.push({ path: [...JWT, 'jwksUrl'], message: 'must not carry a user name or password; a JWKS is public' });
    }
  } else if (jwt.jwksCa !== undefined) {
    problems.push({ path: [...JWT, 'jwksCa'], message: 'is only used with jwksUrl' });
  }
  if (problems.length > 0) throw configProblem(loaded.locator, problems);
}
