import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { loadConfig } from '../../../src/config/load-config';
import { compileSecurity } from '../../../src/security/security-setup';
import { DiscoveredProvider } from '../../../src/security/auth/discovered-provider';
import { IdpClient } from '../../../src/security/auth/idp-client';
import { JwksKeySource, type JwksOptions } from '../../../src/security/auth/jwks-key-source';
import { JwtVerifier } from '../../../src/security/auth/jwt-verifier';
import { RecordingLogger } from '../../integration/bus/recording-logger';
import { rejection } from '../../support/errors';
import { eventually } from '../../support/http';
import { idpKey, JwksServer, signToken, type IdpKey } from '../../support/jwks-server';
import { MINIMAL_CONFIG, TempConfigDir } from '../../support/temp-config';

describe('bearer JWTs with keys found by OpenID Connect discovery (security.auth.jwt.discovery, real HTTP)', function () {
  this.timeout(20_000);
  let server: JwksServer;
  let logger: RecordingLogger;
  let key: IdpKey;
  let client: IdpClient;

  const verifier = (options: Partial<JwksOptions> = {}): JwtVerifier => {
    const settings = { cacheSeconds: 600, cooldownSeconds: 30, timeoutMs: 2000, maxStaleSeconds: 3600, ...options };
    const discovery = new DiscoveredProvider(server.issuer, { fetch: client.fetch, ...settings });
    return new JwtVerifier({ algorithms: ['RS256'], issuer: server.issuer, audience: 'junction', jwks: new JwksKeySource({ discovery, fetch: client.fetch, ...settings }, logger) });
  };
  const token = (): Promise<string> => signToken(key, { sub: 'crm-app' }, { issuer: server.issuer });
  const warnings = (): string[] => logger.lines.filter((l) => l.level === 'warn').map((l) => `${l.message} ${JSON.stringify(l.fields)}`);

  before(async () => {
    key = await idpKey('key-2026-01');
  });
  beforeEach(async () => {
    server = new JwksServer();
    server.keys = [key];
    logger = new RecordingLogger();
    client = new IdpClient({});
    await server.start();
  });
  afterEach(async () => {
    await client.close();
    await server.stop();
  });

  it('reads <issuer>/.well-known/openid-configuration once at start and takes its jwks_uri', async () => {
    const jwt = verifier();
    await jwt.prefetch();
    expect([server.discoveryRequests, server.requests]).to.deep.equal([1, 1]);
    for (let i = 0; i < 3; i += 1) expect((await jwt.verify(await token())).name).to.equal('crm-app');
    expect([server.discoveryRequests, server.requests]).to.deep.equal([1, 1]);
    const found = logger.lines.find((l) => /discovery document/.test(l.message));
    expect(found?.fields).to.deep.equal({ issuerHost: new URL(server.issuer).host, jwksHost: new URL(server.url).host });
  });

  it('a document naming another issuer is not trusted: 503 for tokens, a warning saying why, no key set fetched', async () => {
    server.discovery = { issuer: 'https://evil.example.test/realms/crm' };
    const jwt = verifier();
    await jwt.prefetch();
    const error = await rejection(jwt.verify(await token()));
    expect([error.code, error.httpStatus]).to.deep.equal(['JCT_AUTH_UNAVAILABLE', 503]);
    expect(warnings()).to.have.length(1);
    expect(warnings()[0]).to.contain('names the issuer \\"https://evil.example.test/realms/crm\\"').and.contain('must be written exactly');
    expect(server.requests).to.equal(0);
  });

  it('a jwks_uri over plain http to another host is refused like a configured one', async () => {
    server.discovery = { jwks_uri: 'http://idp.example.test/jwks' };
    const jwt = verifier();
    await jwt.prefetch();
    expect((await rejection(jwt.verify(await token()))).code).to.equal('JCT_AUTH_UNAVAILABLE');
    expect(warnings()[0]).to.contain('the jwks_uri of the discovery document').and.contain('must use https://');
  });

  it('an identity provider without the document (404) or down at start: 503, one warning, and it recovers by itself', async () => {
    server.discovery = null;
    const jwt = verifier({ cooldownSeconds: 1 });
    await jwt.prefetch();
    expect((await rejection(jwt.verify(await token()))).code).to.equal('JCT_AUTH_UNAVAILABLE');
    expect(warnings()).to.have.length(1);
    expect(warnings()[0]).to.contain('answered HTTP 404 instead of 200');
    server.discovery = {};
    await eventually(async () => (await jwt.verify(await token()).then(() => true, () => undefined)), 5000, 200);
    expect(warnings()).to.have.length(1);
    expect(logger.lines.some((l) => l.level === 'info' && /can be fetched again/.test(l.message))).to.equal(true);
  });

  it('is what `discovery: true` in the configuration builds: a bearer token of the discovered keys names its caller', async () => {
    const dir = new TempConfigDir();
    try {
      const file = dir.write(`c-${randomBytes(4).toString('hex')}.yaml`, `security:
  auth:
    mode: required
    jwt:
      algorithms: [RS256]
      issuer: "${server.issuer}"
      audience: junction
      discovery: true
${MINIMAL_CONFIG}`);
      const { authenticator, idp } = compileSecurity(loadConfig(file, {}), logger, {});
      await authenticator.prefetch();
      const principal = await authenticator.fromHeaders({ authorization: `Bearer ${await token()}` });
      expect(principal).to.deep.include({ name: 'crm-app', method: 'jwt' });
      expect([server.discoveryRequests, server.requests]).to.deep.equal([1, 1]);
      await idp?.close();
    } finally {
      dir.remove();
    }
  });

  it('does not follow a redirect of the discovery document (an http hop could name its own jwks_uri)', async () => {
    server.discoveryRedirect = server.url.replace('/jwks', '/moved/.well-known/openid-configuration');
    const jwt = verifier();
    await jwt.prefetch();
    expect((await rejection(jwt.verify(await token()))).code).to.equal('JCT_AUTH_UNAVAILABLE');
    expect(warnings()[0]).to.contain('answered HTTP 302 instead of 200 (redirects are not followed');
    expect(server.requests).to.equal(0);
  });

  it('concurrent first requests share one discovery', async () => {
    const jwt = verifier();
    const tokens = await Promise.all([1, 2, 3, 4].map(() => token()));
    const names = await Promise.all(tokens.map((t) => jwt.verify(t).then((p) => p.name)));
    expect(names).to.deep.equal(['crm-app', 'crm-app', 'crm-app', 'crm-app']);
    expect(server.discoveryRequests).to.equal(1);
  });

  describe('keys that move to a new jwks_uri', () => {
    let old: JwksServer;
    let next: IdpKey;
    const tokenOf = (k: IdpKey): Promise<string> => signToken(k, { sub: 'crm-app' }, { issuer: server.issuer });

    before(async () => {
      next = await idpKey('key-2026-07');
    });
    beforeEach(async () => {
      // The issuer first publishes its keys on another server; its own /jwks serves the new key.
      old = new JwksServer();
      old.keys = [key];
      await old.start();
      server.discovery = { jwks_uri: old.url };
      server.keys = [next];
    });
    afterEach(() => old.stop());

    it('the old address still answers: a token of an unknown key reads the document again, at most once per jwksCacheSeconds', async () => {
      const steady = verifier();
      await steady.prefetch();
      server.discovery = {};
      for (let i = 0; i < 3; i += 1) expect((await rejection(steady.verify(await tokenOf(next)))).httpStatus).to.equal(401);
      expect(server.discoveryRequests).to.equal(1); // the document is younger than jwksCacheSeconds (600)

      server.discovery = { jwks_uri: old.url };
      const jwt = verifier({ cacheSeconds: 1 });
      await jwt.prefetch();
      expect((await jwt.verify(await token())).name).to.equal('crm-app');
      server.discovery = {};
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await jwt.verify(await tokenOf(next))).name).to.equal('crm-app');
      expect(server.discoveryRequests).to.equal(3);
      expect(server.requests).to.be.at.least(1);
      expect(logger.lines.some((l) => /names a new JWKS URL/.test(l.message))).to.equal(true);
      expect((await rejection(jwt.verify(await token()))).httpStatus).to.equal(401); // the old key is gone with the old set
    });

    it('the old address is gone: the next attempt after the cooldown reads the document again and recovers', async () => {
      const jwt = verifier({ cooldownSeconds: 1 });
      await jwt.prefetch();
      expect((await jwt.verify(await token())).name).to.equal('crm-app');
      await old.stop();
      server.discovery = {};
      await eventually(async () => (await jwt.verify(await tokenOf(next)).then((p) => p.name, () => undefined)), 8000, 200);
      expect(server.discoveryRequests).to.equal(2);
      expect(warnings()).to.have.length(1);
      expect(logger.lines.some((l) => l.level === 'info' && /can be fetched again/.test(l.message))).to.equal(true);
    });
  });
});
