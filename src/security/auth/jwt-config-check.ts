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

/** What a URL of the identity provider risks when it is fetched or visited over plain HTTP, and how its problems are worded. */
interface UrlRules {
  /** Said when the text is not a URL. */
  readonly notUrl: string;
  /** Why plain http:// to another host is refused, for a host. */
  readonly onTheWay: (host: string) => string;
  /** Said when the URL carries a user name or password. */
  readonly credentials: string;
}

/** What is wrong with a URL of the identity provider, or undefined: `https://` unless loopback, no credentials. */
function secureUrlProblem(text: string, rules: UrlRules): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return rules.notUrl;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return url.protocol === 'http:'
      ? `must use https:// (plain http:// only to a loopback host): ${rules.onTheWay(url.host)}`
      : `must be an https:// URL (got ${url.protocol})`;
  }
  if (url.username !== '' || url.password !== '') return rules.credentials;
  return undefined;
}

/**
 * What is wrong with a JWKS URL (configured, or found by discovery), or undefined: it must be
 * `https://` unless it stays on this machine (a key set fetched over plain HTTP could be replaced on
 * the way, and whoever replaces it can sign any token), and carry no credentials.
 */
export function jwksUrlProblem(text: string): string | undefined {
  return secureUrlProblem(text, {
    notUrl: 'is not a URL; write the identity provider\'s JWKS address, e.g. https://idp.example.com/realms/crm/protocol/openid-connect/certs',
    onTheWay: (host) => `whoever can change the key set on the way to ${host} can sign tokens Junction accepts`,
    credentials: 'must not carry a user name or password; a JWKS is public',
  });
}

/**
 * What is wrong with an address operators' browsers visit or post to while signing in (the
 * identity provider's authorization and token endpoints, the console's redirect URI), or
 * undefined: the same rules as {@link jwksUrlProblem}, since whoever reads that traffic on the way
 * gets the sign-in codes and tokens.
 */
export function signInUrlProblem(text: string): string | undefined {
  return secureUrlProblem(text, {
    notUrl: 'is not a URL',
    onTheWay: (host) => `whoever sits on the way to ${host} can read the operators' sign-in codes and tokens`,
    credentials: 'must not carry a user name or password',
  });
}

/**
 * What the schema cannot say about `security.auth.jwt`: exactly one source of keys (`secret`,
 * `publicKey`, `jwksUrl` or `discovery`), a JWKS only for public-key algorithms, a JWKS URL (and,
 * with discovery, the issuer it is found from) held to {@link jwksUrlProblem}. Throws
 * JCT_CONFIG_INVALID naming file, line and path.
 */
export function checkJwtConfig(loaded: LoadedConfig): void {
  const jwt = loaded.config.security.auth.jwt;
  if (!jwt) return;
  const problems: { path: ConfigPath; message: string }[] = [];
  const sources = (['secret', 'publicKey', 'jwksUrl', 'discovery'] as const).filter((k) => (k === 'discovery' ? jwt.discovery : jwt[k] !== undefined));
  if (sources.length > 1) {
    problems.push({ path: [...JWT, sources[1]!], message: `give one source of keys, not ${sources.join(' and ')}: secret (HS*), publicKey, jwksUrl or discovery (RS*, PS*, ES*)` });
  }
  const remote = jwt.jwksUrl !== undefined ? 'jwksUrl' : jwt.discovery ? 'discovery' : undefined;
  if (remote !== undefined) {
    const hs = jwt.algorithms.filter((a) => a.startsWith('HS'));
    if (hs.length > 0) {
      problems.push({ path: [...JWT, 'algorithms'], message: `${hs.join(', ')} cannot be used with ${remote}: a JWKS publishes public keys, so accept RS*, PS* or ES* algorithms only` });
    }
  } else if (jwt.jwksCa !== undefined) {
    problems.push({ path: [...JWT, 'jwksCa'], message: 'is only used with jwksUrl or discovery' });
  }
  if (jwt.jwksUrl !== undefined) {
    const problem = jwksUrlProblem(jwt.jwksUrl);
    if (problem !== undefined) problems.push({ path: [...JWT, 'jwksUrl'], message: problem });
  }
  if (jwt.discovery) {
    // The issuer is where the discovery document is fetched from: one URL, held to the JWKS URL's rules.
    const problem = typeof jwt.issuer === 'string' ? jwksUrlProblem(jwt.issuer) : 'must be one URL with discovery: true (the discovery document is fetched from <issuer>/.well-known/openid-configuration)';
    if (problem !== undefined) problems.push({ path: [...JWT, 'issuer'], message: problem.replace('the identity provider\'s JWKS address, e.g. https://idp.example.com/realms/crm/protocol/openid-connect/certs', 'the identity provider\'s issuer URL, e.g. https://idp.example.com/realms/crm') });
  }
  if (problems.length > 0) throw configProblem(loaded.locator, problems);
}
