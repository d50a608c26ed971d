import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { expect } from 'chai';
import { loadConfig } from '../../../src/config/load-config';
import { createConsoleSignIn, ConsoleSignIn } from '../../../src/console/console-sign-in';
import { DiscoveredProvider } from '../../../src/security/auth/discovered-provider';
import { IdpClient } from '../../../src/security/auth/idp-client';
import { JwksKeySource } from '../../../src/security/auth/jwks-key-source';
import { JwtVerifier } from '../../../src/security/auth/jwt-verifier';
import { compileSecurity, type SecurityRuntime } from '../../../src/security/security-setup';
import { RecordingLogger } from '../../integration/bus/recording-logger';
import { rejection } from '../../support/errors';
import { eventually } from '../../support/http';
import { idpKey, JwksServer, signToken, type IdpKey } from '../../support/jwks-server';
import { OidcProvider } from '../../support/oidc-provider';
import { MINIMAL_CONFIG, TempConfigDir } from '../../support/temp-config';

describe('one discovery document for the JWKS key source and the console\'s sign-in (security.auth.jwt.discovery + admin.console.oidc, real HTTP)', function () {
  this.timeout(20_000);
  const dir = new TempConfigDir();
  let idp: OidcProvider;
  let logger: RecordingLogger;
  let key: IdpKey;
  let next: IdpKey;
  /** Every identity provider client a test made, closed after it. */
  let clients: IdpClient[] = [];

  const tokenOf = (k: IdpKey): Promise<string> => signToken(k, { sub: 'crm-app' }, { issuer: idp.issuer });
  /** The security runtime and the console's sign-in as the configuration builds them (what buildApp does). */
  const boot = (cooldownSeconds = 30): { security: SecurityRuntime; signIn: ConsoleSignIn } => {
    const file = dir.write(`c-${randomBytes(4).toString('hex')}.yaml`, `security:
  auth:
    mode: required
    jwt:
      algorithms: [RS256]
      issuer: "${idp.issuer}"
      audience: junction
      discovery: true
      jwksCooldownSeconds: ${cooldownSeconds}
admin:
  console:
    oidc: { clientId: ${idp.clientId} }
${MINIMAL_CONFIG}`);
    const loaded = loadConfig(file, {});
    const security = compileSecurity(loaded, logger, {});
    if (security.idp) clients.push(security.idp);
    const signIn = createConsoleSignIn(loaded, security.providers, logger);
    if (!signIn) throw new Error('no console sign-in was built');
    return { security, signIn };
  };
  const caller = async (security: SecurityRuntime, token: string): Promise<string> =>
    (await security.authenticator.fromHeaders({ authorization: `Bearer ${token}` }))?.name ?? 'nobody';

  before(async () => {
    [key, next] = await Promise.all([idpKey('key-2026-01'), idpKey('key-2026-07')]);
  });
  beforeEach(async () => {
    idp = new OidcProvider();
    logger = new RecordingLogger();
    await idp.start();
    idp.server.keys = [key];
  });
  afterEach(async () => {
    await Promise.all(clients.map((client) => client.close()));
    clients = [];
    await idp.stop();
  });
  after(() => dir.remove());

  it('one read serves both, also when both ask at once (as at start)', async () => {
    const { security, signIn } = boot();
    const [, document, origin] = await Promise.all([security.authenticator.prefetch(), signIn.document(), signIn.tokenOrigin()]);
    expect(document.oidc?.token_endpoint).to.equal(idp.tokenEndpoint);
    expect(origin).to.equal(new URL(idp.tokenEndpoint).origin);
    expect(await caller(security, await tokenOf(key))).to.equal('crm-app');
    expect((await signIn.document()).oidc?.authorization_endpoint).to.equal(`${idp.issuer}/protocol/openid-connect/auth`);
    expect([idp.server.discoveryRequests, idp.server.requests]).to.deep.equal([1, 1]);
  });

  it('the key source\'s "the keys failed, look again" reads the document once after its cooldown, and the console uses that read', async () => {
    const { security, signIn } = boot(1);
    await Promise.all([security.authenticator.prefetch(), signIn.start()]);
    expect(idp.server.discoveryRequests).to.equal(1);
    const moved = `${idp.issuer}/protocol/openid-connect/token-2`;
    idp.server.discovery = { ...idp.server.discovery, token_endpoint: moved };
    idp.server.behaviour = 'garbage';
    // A token of a new key makes the key source fetch the set (after jose's cooldown); that fetch fails.
    const unavailable = await eventually(async () => {
      const error = await rejection(caller(security, await tokenOf(next)));
      return error.code === 'JCT_AUTH_UNAVAILABLE' ? error : undefined;
    }, 8000, 100);
    expect(unavailable.httpStatus).to.equal(503);
    expect(idp.server.discoveryRequests).to.equal(1); // tokens of unknown keys alone do not re-read a young document
    idp.server.behaviour = 'keys';
    idp.server.keys = [key, next];
    expect(await eventually(async () => caller(security, await tokenOf(next)).catch(() => undefined), 8000, 100)).to.equal('crm-app');
    expect(idp.server.discoveryRequests).to.equal(2);
    expect((await signIn.document()).oidc?.token_endpoint).to.equal(moved);
    expect(idp.server.discoveryRequests).to.equal(2);
  });

  it('a document naming another issuer is refused for both, from one read (the failure is shared through the cooldown)', async () => {
    idp.server.discovery = { ...idp.server.discovery, issuer: 'https://evil.example.test/realms/crm' };
    const { security, signIn } = boot();
    await security.authenticator.prefetch();
    expect((await rejection(caller(security, await tokenOf(key)))).code).to.equal('JCT_AUTH_UNAVAILABLE');
    const error = await rejection(signIn.document());
    expect([error.code, error.httpStatus]).to.deep.equal(['JCT_AUTH_UNAVAILABLE', 503]);
    expect(error.message).to.contain('names the issuer "https://evil.example.test/realms/crm"');
    expect(await signIn.tokenOrigin()).to.equal(undefined);
    expect([idp.server.discoveryRequests, idp.server.requests]).to.deep.equal([1, 0]);
  });

  describe('with a short jwksCacheSeconds (built by hand: the schema allows 10 s at least)', () => {
    const shared = (cacheSeconds: number, timeoutMs = 2000): { provider: DiscoveredProvider; jwt: JwtVerifier; signIn: ConsoleSignIn } => {
      const client = new IdpClient({});
      clients.push(client);
      const provider = new DiscoveredProvider(idp.issuer, { fetch: client.fetch, timeoutMs, cacheSeconds, cooldownSeconds: 30 });
      const jwks = new JwksKeySource({ discovery: provider, fetch: client.fetch, cacheSeconds, cooldownSeconds: 30, timeoutMs, maxStaleSeconds: 3600 }, logger);
      return {
        provider,
        jwt: new JwtVerifier({ algorithms: ['RS256'], issuer: idp.issuer, audience: 'junction', jwks }),
        signIn: new ConsoleSignIn({ oidc: { clientId: idp.clientId, scope: 'openid', token: 'access' }, provider }, logger),
      };
    };

    it('the console\'s read by age also serves the key source when a token names a key the set lacks (keys moved to a new jwks_uri)', async () => {
      const old = new JwksServer();
      old.keys = [key];
      await old.start();
      try {
        idp.server.discovery = { ...idp.server.discovery, jwks_uri: old.url };
        idp.server.keys = [next];
        const { jwt, signIn } = shared(0.5);
        await jwt.prefetch();
        expect((await jwt.verify(await tokenOf(key))).name).to.equal('crm-app');
        idp.server.discovery = { ...idp.server.discovery, jwks_uri: idp.server.url };
        await new Promise((resolve) => setTimeout(resolve, 600));
        await signIn.document(); // older than cacheSeconds: read again
        expect(idp.server.discoveryRequests).to.equal(2);
        expect((await jwt.verify(await tokenOf(next))).name).to.equal('crm-app');
        expect(idp.server.discoveryRequests).to.equal(2);
        expect(logger.lines.some((l) => /names a new JWKS URL/.test(l.message))).to.equal(true);
      } finally {
        await old.stop();
      }
    });

    it('the console\'s Content-Security-Policy uses the last document while a due read hangs (stale while it revalidates)', async () => {
      const { signIn } = shared(0.2, 10_000);
      const origin = new URL(idp.tokenEndpoint).origin;
      expect(await signIn.tokenOrigin()).to.equal(origin); // the first waits: nothing is known yet
      await new Promise((resolve) => setTimeout(resolve, 250));
      const held: ServerResponse[] = [];
      idp.server.handlers.set('/realms/crm/.well-known/openid-configuration', (_req: IncomingMessage, res: ServerResponse) => { held.push(res); });
      let answered: string | undefined;
      const pending = signIn.tokenOrigin().then((o) => { answered = o ?? 'none'; });
      await eventually(async () => (held.length > 0 ? true : undefined), 5000, 20);
      await new Promise((resolve) => setImmediate(resolve));
      expect(answered).to.equal(origin); // answered although the read it started has not
      await pending;
      for (const res of held) res.destroy();
    });
  });
});
