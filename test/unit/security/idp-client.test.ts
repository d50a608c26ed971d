import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import { buildApp, type JunctionApp } from '../../../src/app';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { loadConfig } from '../../../src/config/load-config';
import { createConsoleSignIn, type ConsoleSignIn } from '../../../src/console/console-sign-in';
import { silentLogger } from '../../../src/core/logger';
import { compileSecurity, type SecurityRuntime } from '../../../src/security/security-setup';
import { RecordingLogger } from '../../integration/bus/recording-logger';
import { rejection } from '../../support/errors';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { ForwardProxy } from '../../support/forward-proxy';
import { eventually, request } from '../../support/http';
import { idpKey, signToken, type IdpKey } from '../../support/jwks-server';
import { OidcProvider } from '../../support/oidc-provider';
import { MINIMAL_CONFIG, TempConfigDir } from '../../support/temp-config';

/** The CA of the test identity provider's certificate (test/fixtures/tls: a self-signed localhost certificate). */
const CA_FILE = path.resolve('test/fixtures/tls/localhost.crt');
/** A certificate Node does not trust: what a TLS failure's cause names. */
const UNTRUSTED = /DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/;

describe('one HTTP client per identity provider: the discovery document, the JWKS and the console\'s sign-in share its connections (idp-client, real HTTPS)', function () {
  this.timeout(20_000);
  const dir = new TempConfigDir();
  let idp: OidcProvider;
  let logger: RecordingLogger;
  let key: IdpKey;
  let runtimes: SecurityRuntime[] = [];

  /** The configuration of an HTTPS identity provider with the console's sign-in; `source`: where the keys come from. */
  const configFile = (source: 'discovery' | 'jwksUrl', ca: boolean): string => dir.write(`c-${randomBytes(4).toString('hex')}.yaml`, `security:
  auth:
    mode: required
    jwt:
      algorithms: [RS256]
      issuer: "${idp.issuer}"
      audience: junction
${source === 'discovery' ? '      discovery: true' : `      jwksUrl: "${idp.server.url}"`}
${ca ? `      jwksCa: { file: ${JSON.stringify(CA_FILE)} }` : ''}
admin:
  console:
    oidc: { clientId: ${idp.clientId} }
${MINIMAL_CONFIG}`);
  /** The security runtime and the console's sign-in as buildApp makes them, with the environment `env` (proxy variables). */
  const boot = (source: 'discovery' | 'jwksUrl', { ca = true, env = {} }: { ca?: boolean; env?: NodeJS.ProcessEnv } = {}): { security: SecurityRuntime; signIn: ConsoleSignIn } => {
    const loaded = loadConfig(configFile(source, ca), {});
    const security = compileSecurity(loaded, logger, env);
    runtimes.push(security);
    const signIn = createConsoleSignIn(loaded, security.providers, logger);
    if (!signIn) throw new Error('no console sign-in was built');
    return { security, signIn };
  };
  const caller = async (security: SecurityRuntime): Promise<string> =>
    (await security.authenticator.fromHeaders({ authorization: `Bearer ${await signToken(key, { sub: 'crm-app' }, { issuer: idp.issuer })}` }))?.name ?? 'nobody';
  /** What the identity provider saw: [discovery reads, key set fetches], [TCP connections, TLS handshakes]. */
  const seen = (): number[][] => [[idp.server.discoveryRequests, idp.server.requests], [idp.server.connections, idp.server.tlsHandshakes]];

  before(async () => {
    key = await idpKey('key-2026-01');
  });
  beforeEach(async () => {
    idp = new OidcProvider(true);
    // Idle connections are kept a minute (Node's default is 5 s), so nothing but Junction's own client closes them here.
    idp.server.keepAliveTimeoutMs = 60_000;
    logger = new RecordingLogger();
    await idp.start();
    idp.server.keys = [key];
  });
  afterEach(async () => {
    await Promise.all(runtimes.map((security) => security.idp?.close()));
    runtimes = [];
    await idp.stop();
  });
  after(() => dir.remove());

  it('the console\'s read of the discovery document and the key source\'s fetch of the JWKS URL go over one connection, one TLS handshake', async () => {
    const { security, signIn } = boot('jwksUrl');
    // Two different callers, two different documents: the console reads the discovery document…
    expect((await signIn.document()).oidc?.token_endpoint).to.equal(idp.tokenEndpoint);
    // …and the key source fetches the key set (jwksUrl: it does not read the discovery document).
    await security.authenticator.prefetch();
    expect(await caller(security)).to.equal('crm-app');
    expect(seen()).to.deep.equal([[1, 1], [1, 1]]);
    expect(idp.server.openConnections).to.equal(1);
  });

  it('with discovery: true the key source\'s discovery read, its JWKS fetch and the console share one connection (started together, as at boot)', async () => {
    const { security, signIn } = boot('discovery');
    await Promise.all([security.authenticator.prefetch(), signIn.start()]);
    expect((await signIn.document()).oidc?.authorization_endpoint).to.equal(`${idp.issuer}/protocol/openid-connect/auth`);
    expect(await caller(security)).to.equal('crm-app');
    expect(seen()).to.deep.equal([[1, 1], [1, 1]]);
  });

  it('jwksCa applies to every request: without it neither the console nor the key source trusts the identity provider', async () => {
    const { security, signIn } = boot('jwksUrl', { ca: false });
    const refused = await rejection(signIn.document());
    expect([refused.code, refused.httpStatus]).to.deep.equal(['JCT_AUTH_UNAVAILABLE', 503]);
    expect(refused.message).to.match(UNTRUSTED);
    const unavailable = await rejection(caller(security));
    expect([unavailable.code, unavailable.httpStatus]).to.deep.equal(['JCT_AUTH_UNAVAILABLE', 503]);
    const warnings = logger.lines.filter((l) => l.level === 'warn').map((l) => `${l.message} ${JSON.stringify(l.fields)}`);
    expect(warnings.find((w) => /cannot fetch the JWKS/.test(w))).to.match(UNTRUSTED).and.contain('security.auth.jwt.jwksCa');
    expect(seen()[0], 'no HTTP request gets past an untrusted handshake').to.deep.equal([0, 0]);
  });

  describe('through an outbound proxy (HTTPS_PROXY)', () => {
    let proxy: ForwardProxy;
    let proxyUrl: string;
    beforeEach(async () => {
      proxy = new ForwardProxy();
      proxyUrl = await proxy.start();
    });
    afterEach(async () => {
      await Promise.all(runtimes.map((security) => security.idp?.close()));
      await proxy.close();
    });

    it('the console\'s discovery read and the JWKS fetch go through the proxy in one CONNECT tunnel, checked end to end against jwksCa', async () => {
      const { security, signIn } = boot('jwksUrl', { env: { HTTPS_PROXY: proxyUrl } });
      expect((await signIn.document()).oidc?.token_endpoint).to.equal(idp.tokenEndpoint);
      await security.authenticator.prefetch();
      expect(await caller(security)).to.equal('crm-app');
      expect(proxy.tunnels).to.deep.equal([new URL(idp.issuer).host]);
      expect(proxy.connections).to.equal(1);
      expect(seen()).to.deep.equal([[1, 1], [1, 1]]);
    });

    it('without jwksCa the tunnelled connection is refused for the console and the key source alike', async () => {
      const { security, signIn } = boot('jwksUrl', { ca: false, env: { HTTPS_PROXY: proxyUrl } });
      expect((await rejection(signIn.document())).message).to.match(UNTRUSTED);
      expect((await rejection(caller(security))).code).to.equal('JCT_AUTH_UNAVAILABLE');
      expect(proxy.tunnels.length).to.be.above(0);
      expect(seen()[0]).to.deep.equal([0, 0]);
    });
  });

  it('closing the client closes its connections at once (not when the keep-alive runs out); a request after that is refused, not sent', async () => {
    const { security, signIn } = boot('discovery');
    await Promise.all([security.authenticator.prefetch(), signIn.start()]);
    expect(idp.server.openConnections).to.equal(1);
    await security.idp?.close();
    await eventually(async () => (idp.server.openConnections === 0 ? true : undefined), 3000, 20);
    const after = await security.idp!.fetch(idp.server.url, { headers: {}, signal: AbortSignal.timeout(1000) }).then(() => 'sent', (e: Error) => e.message);
    expect(after).to.contain('Junction is stopping');
    expect(idp.server.connections).to.equal(1);
  });

  it('closing waits for a request in flight only until its own timeout; a request queued on the connection meanwhile keeps its own', async () => {
    const { security } = boot('jwksUrl');
    const client = security.idp!;
    idp.server.behaviour = 'hang';
    const started = Date.now();
    const hanging = client.fetch(idp.server.url, { headers: {}, signal: AbortSignal.timeout(600) }).then(() => 'answered', (e: Error) => e.name);
    // The same host, at the same time: it queues on the one connection, and its timeout counts the wait.
    const queued = client.fetch(`${idp.issuer}/.well-known/openid-configuration`, { headers: {}, signal: AbortSignal.timeout(300) }).then(() => 'answered', (e: Error) => e.name);
    await eventually(async () => (idp.server.requests === 1 ? true : undefined), 3000, 10);
    expect(await queued).to.equal('TimeoutError');
    await client.close();
    expect(await hanging).to.equal('TimeoutError');
    expect(Date.now() - started).to.be.below(3000);
    expect(idp.server.discoveryRequests, 'the queued request was never sent').to.equal(0);
    // (undici may still open a connection for the timed-out queued request, which it drops unsent: only "all closed" is asserted.)
    await eventually(async () => (idp.server.openConnections === 0 ? true : undefined), 3000, 20);
  });

  describe('in a running Junction (buildApp)', () => {
    let app: JunctionApp | undefined;
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    it('the start\'s background reads and the console\'s page share one connection, and closing Junction closes it', async () => {
      app = buildApp(loadConfig(configFile('discovery', true), {}), { logger: silentLogger, port: 0, log: new FakeTransactionLog(), broker: new MemoryBroker({ requeueDelayMs: 10 }) });
      const base = await app.start();
      // At start, in the background: the key set (after the discovery document) and the console's endpoints.
      await eventually(async () => (idp.server.requests === 1 ? true : undefined), 5000, 20);
      const signIn = await request(`${base}/console/sign-in.json`);
      expect(signIn.status, signIn.text).to.equal(200);
      expect((signIn.json as { oidc: { token_endpoint: string } }).oidc.token_endpoint).to.equal(idp.tokenEndpoint);
      expect(seen()).to.deep.equal([[1, 1], [1, 1]]);
      expect(idp.server.openConnections).to.equal(1);
      await app.close();
      await eventually(async () => (idp.server.openConnections === 0 ? true : undefined), 3000, 20);
    });
  });
});
