import { JunctionError } from '../core/errors';
import type { NonceStore } from '../core/nonce-store';
import type { Logger } from '../core/logger';
import { compilePointer } from '../core/json-pointer';
import { configureXmlLimits } from '../core/xml';
import type { FileRefConfig } from '../config/config-types';
import type { LoadedConfig } from '../config/load-config';
import { AccessPolicy } from './auth/access-policy';
import { ApiKeyVerifier, type ApiKeyEntry } from './auth/api-keys';
import { Authenticator } from './auth/authenticator';
import { ClientCertificates, type CertificateMatch } from './auth/client-certificates';
import { DiscoveredProviders } from './auth/discovered-provider';
import { IdpClient, proxyFromEnv } from './auth/idp-client';
import { JwksKeySource } from './auth/jwks-key-source';
import { checkJwtConfig } from './auth/jwt-config-check';
import { JwtVerifier } from './auth/jwt-verifier';
import { NonceCache } from './auth/nonce-cache';
import { UsernameTokenVerifier, type SoapUser } from './auth/username-token';
import { WsSignatureVerifier } from './auth/ws-signature';
import { oneLine, peerOf, TrustAnchors } from './auth/x509-trust';
import { SIGNING_CRL, SigningCrls } from './auth/signing-crl';
import { caSubjects } from './tls/crl';
import { crlSources, readCrlSet } from './tls/crl-files';
import { CrlReloader } from './tls/crl-reloader';
import { Masker } from './masking/masker';
import { parseKeyRing, PayloadCipher } from './payload-cipher';
import { HttpBasicVerifier } from './auth/http-basic';
import { readSecret } from './secrets';

/** Everything the gateways, the store and the logger need from `security`, built once at boot. */
export interface SecurityRuntime {
  readonly mode: 'off' | 'required';
  /** Who may fetch WSDLs, XSDs and the OpenAPI document. */
  readonly docs: 'public' | 'authenticated';
  readonly authenticator: Authenticator;
  readonly policy: AccessPolicy;
  readonly masker: Masker;
  /** Present when `security.payloadEncryption` is configured. */
  readonly cipher?: PayloadCipher;
  /** Deepest JSON nesting accepted in request bodies. */
  readonly jsonMaxDepth: number;
  /** The identity providers' discovery documents, one shared reader per issuer (for the JWKS and the console's sign-in); present when `security.auth.jwt` is. */
  readonly providers?: DiscoveredProviders;
  /** The one HTTP client (connection pool) for the identity provider: every request to it goes through it; close() at shutdown. Present when `security.auth.jwt` is. */
  readonly idp?: IdpClient;
  /** Keeps `security.auth.wsSecurity.signature.crl` current: start() once serving, close() at shutdown. */
  readonly signingCrlReloader?: CrlReloader;
}

/** The masker alone (the logger needs it before anything else is built). */
export function compileMasker(loaded: LoadedConfig): Masker {
  const { masking } = loaded.config.security;
  try {
    return new Masker(masking);
  } catch (error) {
    throw new JunctionError('JCT_CONFIG_INVALID', `security.masking.fields: ${(error as Error).message}.`);
  }
}

/**
 * The payload cipher of `security.payloadEncryption` (its keys read from the environment or a
 * file), or undefined when payload encryption is not configured. Reads no other secret, so the
 * `junction store` commands need only the payload keys (compileSecurity builds it the same way).
 * Throws JCT_CONFIG_INVALID naming the setting, never a key.
 */
export function compilePayloadCipher(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): PayloadCipher | undefined {
  const encryption = loaded.config.security.payloadEncryption;
  if (!encryption) return undefined;
  const secret = readSecret(encryption.keys, 'security.payloadEncryption.keys', loaded.baseDir, env);
  return new PayloadCipher(parseKeyRing(secret.value, secret.source), encryption.encrypt);
}

/**
 * Reads every secret (environment or files), checks the security settings against the routes
 * and builds the runtime. `nonceStore` (the transaction log) makes UsernameToken nonces shared by
 * every gateway process; without it they are remembered in this process only. Sets the process's XML limits. Throws JCT_CONFIG_INVALID naming the
 * setting — never a secret's value.
 */
export function compileSecurity(loaded: LoadedConfig, logger: Logger, env: NodeJS.ProcessEnv = process.env, nonceStore?: NonceStore): SecurityRuntime {
  const { config, baseDir } = loaded;
  const { security } = config;
  configureXmlLimits(security.xml);
  const problems: string[] = [];
  const routeIds = new Set(config.routes.map((r) => r.id));
  const keys: ApiKeyEntry[] = [];
  const users: SoapUser[] = [];
  const certificateMatches: { client: string; match: CertificateMatch; where: string }[] = [];
  for (const [name, client] of Object.entries(security.clients)) {
    const where = `security.clients.${name}`;
    for (const route of client.routes) {
      if (route !== '*' && !routeIds.has(route)) problems.push(`${where}.routes: "${route}" is not a route (routes: ${[...routeIds].join(', ')})`);
    }
    if (client.apiKey) {
      const key = readSecret(client.apiKey, `${where}.apiKey`, baseDir, env).value;
      if (key.length < 16) problems.push(`${where}.apiKey: the key is shorter than 16 characters; make one with: openssl rand -hex 32`);
      if (keys.some((k) => k.key === key)) problems.push(`${where}.apiKey: another client has the same key; give each client its own`);
      keys.push({ client: name, key });
    }
    if (client.username !== undefined && client.password) {
      if (users.some((u) => u.username === client.username)) problems.push(`${where}.username: "${client.username}" is used by another client`);
      users.push({ username: client.username, password: readSecret(client.password, `${where}.password`, baseDir, env).value, client: name, roles: client.roles });
    }
    if (client.certificate) certificateMatches.push({ client: name, match: client.certificate, where: `${where}.certificate` });
  }
  const { certificates, problems: certificateProblems } = ClientCertificates.compile(certificateMatches);
  problems.push(...certificateProblems);
  const signing = security.auth.wsSecurity.signature;
  let anchors: TrustAnchors | undefined;
  let anchorsPem = '';
  if (signing) {
    try {
      anchorsPem = readSecret(signing.ca, 'security.auth.wsSecurity.signature.ca', baseDir, env).value;
      anchors = TrustAnchors.fromPem(anchorsPem);
    } catch (error) {
      if (error instanceof JunctionError) throw error;
      problems.push(`security.auth.wsSecurity.signature.ca: ${(error as Error).message}`);
    }
    if (certificates.size === 0) problems.push('security.auth.wsSecurity.signature is set but no client has a certificate (security.clients.<name>.certificate): no signature could name a client');
  }
  // Signed SOAP messages name clients by certificate too, without TLS client certificates.
  if (certificates.size > 0 && !signing && (!config.server.tls || config.server.tls.clientCertificates === 'none')) {
    problems.push(`security.clients: ${certificateMatches.map((m) => m.client).join(', ')} ${certificateMatches.length > 1 ? 'are' : 'is'} known by a client certificate, but server.tls.clientCertificates is not "request" or "require" (and server.tls.ca names the CA): no certificate would ever be asked for`);
  }
  const masker = compileMasker(loaded);
  for (const route of config.routes) {
    for (const [kind, entry] of [['rest', route.entry.rest], ['soap', route.entry.soap]] as const) {
      const pointer = entry?.businessKey;
      if (pointer && masker.isSensitivePath(compilePointer(pointer).tokens)) {
        problems.push(`routes[${route.id}].entry.${kind}.businessKey: ${pointer} is a masked field (security.masking.fields); a business key is stored and shown in clear, so pick another`);
      }
    }
  }
  const { auth } = security;
  let jwt: JwtVerifier | undefined;
  let providers: DiscoveredProviders | undefined;
  let idp: IdpClient | undefined;
  if (auth.jwt) {
    const j = auth.jwt;
    checkJwtConfig(loaded);
    const jwksProxy = proxyFromEnv(env);
    const jwksCa = j.jwksCa ? readSecret(j.jwksCa, 'security.auth.jwt.jwksCa', baseDir, env).value : undefined;
    // One client for everything Junction asks the identity provider: the key set, the discovery
    // document (for the keys and the console's sign-in) — one pool, one CA, one proxy (docs/security.md).
    idp = new IdpClient({ ...(jwksCa ? { ca: jwksCa } : {}), ...(jwksProxy ? { proxy: jwksProxy } : {}) });
    providers = new DiscoveredProviders({
      fetch: idp.fetch, timeoutMs: j.jwksTimeoutMs, cacheSeconds: j.jwksCacheSeconds, cooldownSeconds: j.jwksCooldownSeconds,
    });
    // checkJwtConfig has made sure that with discovery the issuer is one URL.
    const source = j.jwksUrl !== undefined ? { url: j.jwksUrl } : j.discovery && typeof j.issuer === 'string' ? { discovery: providers.of(j.issuer) } : undefined;
    const jwks = source === undefined ? undefined : new JwksKeySource({
      ...source, fetch: idp.fetch, cacheSeconds: j.jwksCacheSeconds, cooldownSeconds: j.jwksCooldownSeconds, timeoutMs: j.jwksTimeoutMs, maxStaleSeconds: j.jwksMaxStaleSeconds,
    }, logger);
    jwt = new JwtVerifier({
      ...(jwks ? { jwks } : {}),
      algorithms: j.algorithms, issuer: j.issuer, audience: j.audience, clientClaim: j.clientClaim, rolesClaim: j.rolesClaim,
      clockToleranceSeconds: j.clockToleranceSeconds,
      ...(j.maxAgeSeconds !== undefined ? { maxAgeSeconds: j.maxAgeSeconds } : {}),
      ...(j.secret ? { secret: readSecret(j.secret, 'security.auth.jwt.secret', baseDir, env).value } : {}),
      ...(j.publicKey ? { publicKey: readSecret(j.publicKey, 'security.auth.jwt.publicKey', baseDir, env).value } : {}),
    });
  }
  if (auth.httpBasic && users.length === 0) {
    problems.push('security.auth.httpBasic is true but no client has a username and password (security.clients.<name>.username, .password)');
  }
  if (auth.mode === 'required' && keys.length === 0 && users.length === 0 && certificates.size === 0 && !jwt) {
    problems.push('security.auth.mode is "required" but no client has an apiKey, a username or a certificate and no jwt is configured: nobody could call Junction');
  }
  if (problems.length > 0) {
    throw new JunctionError('JCT_CONFIG_INVALID', `Security settings in ${loaded.file} have ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  const ws = auth.wsSecurity;
  let warnedFull = false;
  // The shared store (the transaction log's database) when given; else this process's memory.
  const nonces = nonceStore ?? new NonceCache(ws.nonceCacheSize, () => {
    if (warnedFull) return;
    warnedFull = true;
    logger.warn('the WS-Security nonce cache is full; the oldest nonces are forgotten early. Raise security.auth.wsSecurity.nonceCacheSize');
  });
  const usernameToken = users.length > 0 ? new UsernameTokenVerifier(users, ws, nonces) : undefined;
  const roles = new Map(Object.entries(security.clients).map(([name, c]) => [name, c.roles]));
  const signingCrl = anchors && signing?.crl ? readSigningCrl(signing.crl, signing.crlReloadSeconds, anchors, anchorsPem, certificates, baseDir, logger) : undefined;
  const signature = anchors && signing ? new WsSignatureVerifier(anchors, certificates, (client) => roles.get(client) ?? [],
    { maxAgeSeconds: ws.maxAgeSeconds, clockSkewSeconds: ws.clockSkewSeconds, allowSha1: signing.allowSha1 }, nonces, signingCrl?.crls) : undefined;
  const authenticator = new Authenticator({
    apiKeyHeader: auth.apiKeyHeader,
    apiKeys: new ApiKeyVerifier(keys),
    rolesOf: (client) => roles.get(client) ?? [],
    ...(jwt ? { jwt } : {}),
    ...(usernameToken ? { usernameToken } : {}),
    ...(certificates.size > 0 ? { certificates } : {}),
    ...(signature && signing ? { signature, requireSignedHeaders: signing.requireSignedHeaders } : {}),
    ...(auth.httpBasic && users.length > 0 ? { basic: new HttpBasicVerifier(users) } : {}),
  });
  const cipher = compilePayloadCipher(loaded, env);
  if (auth.mode === 'off' && !['127.0.0.1', 'localhost', '::1'].includes(config.server.host)) {
    logger.warn('authentication is off (security.auth.mode) and Junction listens beyond loopback: anyone who reaches it may call every route', { host: config.server.host });
  }
  return {
    mode: auth.mode, docs: auth.docs, authenticator, policy: new AccessPolicy(auth.mode, security.clients),
    masker, jsonMaxDepth: security.json.maxDepth,
    ...(cipher ? { cipher } : {}),
    ...(providers ? { providers } : {}),
    ...(idp ? { idp } : {}),
    ...(signingCrl ? { signingCrlReloader: signingCrl.reloader } : {}),
  };
}

/**
 * `security.auth.wsSecurity.signature.crl`: the CRLs read now (JCT_CONFIG_REFERENCE naming the
 * file for one that cannot be read, is not a PEM CRL, is a delta CRL or does not verify with its
 * CA's key) and the reloader that keeps them current, with the same rules as `server.tls.crl`
 * (crl-reloader.ts). The CAs are the bundle's CA certificates (a leaf issues nothing, so it needs
 * no CRL). A pinned certificate — a leaf, or any anchor that names a client — whose issuer is not
 * in the bundle is warned about: no CRL can be checked for it.
 */
function readSigningCrl(refs: FileRefConfig | readonly FileRefConfig[], reloadSeconds: number, anchors: TrustAnchors, anchorsPem: string, certificates: ClientCertificates, baseDir: string, logger: Logger): { crls: SigningCrls; reloader: CrlReloader } {
  const sources = crlSources(refs, SIGNING_CRL.crl, baseDir);
  const cas = caSubjects(anchorsPem).filter((ca) => ca.certificate.ca);
  const initial = readCrlSet(sources, cas);
  const crls = new SigningCrls(initial);
  const reloader = new CrlReloader({
    sources, initial, cas, intervalMs: reloadSeconds * 1000, logger, setting: SIGNING_CRL, apply: (set) => crls.update(set),
  });
  for (const { certificate, issuer } of anchors.withIssuers()) {
    if (issuer || (certificate.ca && certificates.clientOf(peerOf(certificate)) === undefined)) continue;
    const why = certificate.checkIssued(certificate)
      ? 'is self-signed, so no CRL can revoke it'
      : `was issued by "${oneLine(certificate.issuer)}", which is no CA certificate of the bundle, so its revocation cannot be checked against ${SIGNING_CRL.crl}`;
    const fix = certificate.checkIssued(certificate) ? '' : `add that CA's certificate to the bundle (and its CRL to ${SIGNING_CRL.crl}), or `;
    logger.warn(`${SIGNING_CRL.ca}: the pinned certificate "${oneLine(certificate.subject)}" (SHA-256 ${certificate.fingerprint256}) ${why}. To be able to revoke it, ${fix}remove it from the bundle when it must no longer be trusted.`, {
      subject: oneLine(certificate.subject), fingerprint256: certificate.fingerprint256,
    });
  }
  return { crls, reloader };
}
