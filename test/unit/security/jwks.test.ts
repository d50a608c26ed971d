import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { JunctionError } from '../../../src/core/errors';
import { IdpClient, proxyFromEnv, type IdpConnection, type IdpFetch } from '../../../src/security/auth/idp-client';
import { JwksKeySource, type JwksOptions } from '../../../src/security/auth/jwks-key-source';
import { JwtVerifier } from '../../../src/security/auth/jwt-verifier';
import { RecordingLogger } from '../../integration/bus/recording-logger';
import { eventually } from '../../support/http';
import { closeNow, listenOnLoopback } from '../../support/ports';
import { idpKey, JwksServer, signToken, type IdpKey } from '../../support/jwks-server';

async function rejection(promise: Promise<unknown>): Promise<JunctionError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error, 'expected a rejection').to.be.instanceOf(JunctionError);
  return error as JunctionError;
}

describe('bearer JWTs checked against the identity provider\'s JWKS URL (jwks-key-source, real HTTP)', function () {
  this.timeout(20_000);
  let server: JwksServer;
  let logger: RecordingLogger;
  let first: IdpKey;
  let second: IdpKey;

  let clients: IdpClient[] = [];
  /** The fetch of a new identity provider client, closed after the test. */
  const fetchVia = ({ ca, proxy }: IdpConnection = {}): IdpFetch => {
    const client = new IdpClient({ ...(ca ? { ca } : {}), ...(proxy ? { proxy } : {}) });
    clients.push(client);
    return client.fetch;
  };
  const verifier = ({ ca, proxy, ...options }: Partial<JwksOptions> & IdpConnection = {}): JwtVerifier => new JwtVerifier({
    algorithms: ['RS256', 'ES256'], issuer: 'https://idp.example.test/', audience: 'junction',
    jwks: new JwksKeySource({ url: server.url, fetch: fetchVia({ ...(ca ? { ca } : {}), ...(proxy ? { proxy } : {}) }), cacheSeconds: 600, cooldownSeconds: 30, timeoutMs: 2000, maxStaleSeconds: 3600, ...options }, logger),
  });
  const warnings = (): string[] => logger.lines.filter((l) => l.level === 'warn').map((l) => `${l.message} ${JSON.stringify(l.fields)}`);

  before(async () => {
    [first, second] = await Promise.all([idpKey('key-2026-01'), idpKey('key-2026-07', 'ES256')]);
  });
  beforeEach(async () => {
    server = new JwksServer();
    server.keys = [first];
    logger = new RecordingLogger();
    await server.start();
  });
  afterEach(async () => {
    await Promise.all(clients.map((client) => client.close()));
    clients = [];
    await server.stop();
  });

  it('accepts a token signed with a published key; the prefetch at start means no fetch per request', async () => {
    const jwt = verifier();
    await jwt.prefetch();
    expect(server.requests).to.equal(1);
    for (let i = 0; i < 3; i += 1) {
      expect(await jwt.verify(await signToken(first, { sub: 'crm-app', roles: ['orders'] }))).to.deep.equal({ name: 'crm-app', method: 'jwt', roles: ['orders'] });
    }
    expect(server.requests).to.equal(1);
    expect(logger.lines.some((l) => l.level === 'info' && /fetched the JWKS/.test(l.message))).to.equal(true);
  });

  it('follows key rotation: a token with the new kid makes Junction fetch again and is accepted; the retired key is then refused', async () => {
    const jwt = verifier({ cooldownSeconds: 0 });
    expect((await jwt.verify(await signToken(first))).name).to.equal('crm');
    server.keys = [second]; // the identity provider rotates
    expect((await jwt.verify(await signToken(second, { sub: 'after-rotation' }))).name).to.equal('after-rotation');
    expect(server.requests).to.equal(2);
    const refused = await rejection(jwt.verify(await signToken(first)));
    expect(refused.code).to.equal('JCT_AUTH_FAILED');
    expect(refused.message).to.contain('"key-2026-01" is not in its JWKS');
  });

  it('refuses a token whose kid the JWKS does not hold with 401 and words a client developer can act on; within the cooldown it does not refetch', async () => {
    const jwt = verifier({ cooldownSeconds: 30 });
    await jwt.prefetch();
    const stranger = await idpKey('somebody-elses-key');
    for (let i = 0; i < 3; i += 1) {
      const error = await rejection(jwt.verify(await signToken(stranger)));
      expect(error.code).to.equal('JCT_AUTH_FAILED');
      expect(error.httpStatus).to.equal(401);
      expect(error.message).to.equal('The bearer token was refused: it is signed with a key the identity provider does not publish '
        + '(key id "kid" "somebody-elses-key" is not in its JWKS at ' + new URL(server.url).host + '). '
        + 'Get a new token from the identity provider; if it has just rotated its keys, retry in 30 seconds.');
    }
    expect(server.requests, 'a flood of unknown kids must not hammer the identity provider').to.equal(1);
    // The other checks still apply with JWKS keys: a published key, the wrong audience.
    expect((await rejection(jwt.verify(await signToken(first, {}, { audience: 'someone-else' })))).message).to.contain('audience');
  });

  it('answers 503 JCT_AUTH_UNAVAILABLE (retryable) when the JWKS server is down, warns once per outage, and recovers by itself', async () => {
    await server.stop();
    const jwt = verifier({ cooldownSeconds: 1 });
    await jwt.prefetch(); // at start: a warning, not a failure
    for (let i = 0; i < 3; i += 1) {
      const error = await rejection(jwt.verify(await signToken(first)));
      expect(error.code).to.equal('JCT_AUTH_UNAVAILABLE');
      expect(error.httpStatus).to.equal(503);
      expect(error.retryable).to.equal(true);
      expect(error.message).to.contain('not a problem with the token').and.not.contain('127.0.0.1');
    }
    await new Promise((r) => setTimeout(r, 1100)); // past the cooldown: the next request tries again, and fails again
    expect((await rejection(jwt.verify(await signToken(first)))).code).to.equal('JCT_AUTH_UNAVAILABLE');
    expect(warnings()).to.have.length(1);
    expect(warnings()[0]).to.contain('cannot fetch the JWKS').and.contain('ECONNREFUSED');
    await server.start();
    await eventually(async () => (await jwt.verify(await signToken(first)).then(() => true, () => undefined)), 5000, 200);
    expect(logger.lines.some((l) => l.level === 'info' && /can be fetched again/.test(l.message))).to.equal(true);
    expect(warnings()).to.have.length(1);
  });

  for (const [behaviour, reason] of [['server-error', 'answered HTTP 500 instead of 200'], ['garbage', 'not a JSON Web Key Set'], ['hang', 'no answer within 300 ms']] as const) {
    it(`answers 503 when the JWKS server ${behaviour === 'hang' ? 'does not answer in time' : behaviour === 'garbage' ? 'returns garbage' : 'answers 500'}, and says why in the log`, async () => {
      server.behaviour = behaviour;
      const jwt = verifier({ timeoutMs: 300 });
      const error = await rejection(jwt.verify(await signToken(first)));
      expect(error.code).to.equal('JCT_AUTH_UNAVAILABLE');
      expect(warnings()).to.have.length(1);
      expect(warnings()[0]).to.contain(reason);
      // Within the cooldown the next caller is answered at once, without another attempt.
      const before = server.requests;
      const started = Date.now();
      expect((await rejection(jwt.verify(await signToken(first)))).code).to.equal('JCT_AUTH_UNAVAILABLE');
      expect(server.requests).to.equal(before);
      expect(Date.now() - started).to.be.below(250);
    });
  }

  it('keeps using keys it fetched while the JWKS server is down (up to jwksMaxStaleSeconds); an unknown kid then is 503, not 401', async () => {
    const jwt = verifier({ cacheSeconds: 0.2, cooldownSeconds: 0 });
    await jwt.prefetch();
    await server.stop();
    await new Promise((r) => setTimeout(r, 300)); // the cache is stale: jose fetches, the fetch fails
    expect((await jwt.verify(await signToken(first))).name).to.equal('crm');
    expect((await rejection(jwt.verify(await signToken(second)))).code).to.equal('JCT_AUTH_UNAVAILABLE');
    expect(warnings()).to.have.length(1);

    // maxStaleSeconds 0: keys within jwksCacheSeconds still serve while an unknown kid's fetch fails (and during the pause after it)…
    await server.start();
    const fresh = verifier({ cacheSeconds: 5, cooldownSeconds: 0.1, maxStaleSeconds: 0 });
    await fresh.prefetch();
    await server.stop();
    await new Promise((r) => setTimeout(r, 150)); // past the cooldown: an unknown kid makes it fetch, which fails
    expect((await rejection(fresh.verify(await signToken(second)))).code).to.equal('JCT_AUTH_UNAVAILABLE');
    expect((await fresh.verify(await signToken(first))).name).to.equal('crm');
    // …but keys older than jwksCacheSeconds do not.
    await server.start();
    const strict = verifier({ cacheSeconds: 0.2, cooldownSeconds: 0, maxStaleSeconds: 0 });
    await strict.prefetch();
    await server.stop();
    await new Promise((r) => setTimeout(r, 300));
    expect((await rejection(strict.verify(await signToken(first)))).code).to.equal('JCT_AUTH_UNAVAILABLE');
  });

  describe('over HTTPS', () => {
    let tlsServer: JwksServer;
    beforeEach(async () => {
      tlsServer = new JwksServer(true);
      tlsServer.keys = [first];
      await tlsServer.start();
    });
    afterEach(() => tlsServer.stop());
    const over = (ca?: string): JwtVerifier => new JwtVerifier({
      algorithms: ['RS256'], issuer: 'https://idp.example.test/', audience: 'junction',
      jwks: new JwksKeySource({ url: tlsServer.url, fetch: fetchVia(ca ? { ca } : {}), cacheSeconds: 600, cooldownSeconds: 30, timeoutMs: 2000, maxStaleSeconds: 3600 }, logger),
    });

    it('trusts the server\'s certificate through jwksCa', async () => {
      const jwt = over(readFileSync('test/fixtures/tls/localhost.crt', 'utf8'));
      expect((await jwt.verify(await signToken(first))).name).to.equal('crm');
    });

    it('trusts a CA added process-wide with NODE_EXTRA_CA_CERTS (without jwksCa the client\'s TLS uses Node\'s default trust store)', async () => {
      // NODE_EXTRA_CA_CERTS is read once at process start: check it in a child process.
      const script = `const { JwksKeySource } = require(${JSON.stringify(path.resolve('dist/src/security/auth/jwks-key-source.js'))});
        const { IdpClient } = require(${JSON.stringify(path.resolve('dist/src/security/auth/idp-client.js'))});
        const { JwtVerifier } = require(${JSON.stringify(path.resolve('dist/src/security/auth/jwt-verifier.js'))});
        const { silentLogger } = require(${JSON.stringify(path.resolve('dist/src/core/logger.js'))});
        const client = new IdpClient({});
        const jwks = new JwksKeySource({ url: process.env.JWKS_URL, fetch: client.fetch, cacheSeconds: 600, cooldownSeconds: 30, timeoutMs: 2000, maxStaleSeconds: 3600 }, silentLogger);
        new JwtVerifier({ algorithms: ['RS256'], issuer: 'https://idp.example.test/', audience: 'junction', jwks })
          .verify(process.env.TOKEN).then((p) => console.log('accepted ' + p.name), (e) => console.log('refused ' + e.code)).then(() => client.close());`;
      const run = (extra: NodeJS.ProcessEnv): Promise<string> => signToken(first).then((token) => new Promise((resolve, reject) => {
        execFile(process.execPath, ['-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: '', JWKS_URL: tlsServer.url, TOKEN: token, ...extra } }, (error, stdout) => (error ? reject(error) : resolve(stdout.trim())));
      }));
      expect(await run({})).to.equal('refused JCT_AUTH_UNAVAILABLE');
      expect(await run({ NODE_EXTRA_CA_CERTS: path.resolve('test/fixtures/tls/localhost.crt') })).to.equal('accepted crm');
    });

    it('refuses a certificate it cannot verify (503), and the warning says where to put the CA', async () => {
      const error = await rejection(over().verify(await signToken(first)));
      expect(error.code).to.equal('JCT_AUTH_UNAVAILABLE');
      expect(warnings()[0]).to.contain('security.auth.jwt.jwksCa');
      expect(tlsServer.requests).to.equal(0);
    });
  });

  describe('through an outbound proxy (HTTPS_PROXY / HTTP_PROXY / NO_PROXY)', () => {
    let proxy: Server;
    let proxyUrl: string;
    let tunnels: string[];

    beforeEach(async () => {
      tunnels = [];
      // A forward proxy as corporate networks run them: CONNECT tunnels, one per target.
      proxy = createServer((_req, res) => { res.writeHead(405).end(); });
      proxy.on('connect', (req, client) => {
        tunnels.push(String(req.url));
        const [host, port] = String(req.url).split(':');
        const upstream = connect(Number(port), host, () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          upstream.pipe(client);
          client.pipe(upstream);
        });
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
      });
      proxyUrl = await listenOnLoopback(proxy);
    });
    afterEach(async () => {
      await closeNow(proxy);
    });

    it('fetches the JWKS through the proxy the environment names', async () => {
      const jwt = verifier({ proxy: proxyFromEnv({ HTTP_PROXY: proxyUrl }) });
      expect((await jwt.verify(await signToken(first))).name).to.equal('crm');
      expect(tunnels).to.deep.equal([new URL(server.url).host]);
      expect(server.requests).to.equal(1);
    });

    it('goes direct to hosts NO_PROXY names', async () => {
      const jwt = verifier({ proxy: proxyFromEnv({ http_proxy: proxyUrl, NO_PROXY: 'localhost,127.0.0.1' }) });
      expect((await jwt.verify(await signToken(first))).name).to.equal('crm');
      expect(tunnels).to.deep.equal([]);
      expect(server.requests).to.equal(1);
    });

    it('tunnels HTTPS through the proxy and still checks the server against jwksCa', async () => {
      const tlsServer = new JwksServer(true);
      tlsServer.keys = [first];
      await tlsServer.start();
      try {
        const over = (ca?: string): JwtVerifier => new JwtVerifier({
          algorithms: ['RS256'], issuer: 'https://idp.example.test/', audience: 'junction',
          jwks: new JwksKeySource({ url: tlsServer.url, fetch: fetchVia({ proxy: proxyFromEnv({ HTTPS_PROXY: proxyUrl })!, ...(ca ? { ca } : {}) }),
            cacheSeconds: 600, cooldownSeconds: 30, timeoutMs: 2000, maxStaleSeconds: 3600 }, logger),
        });
        expect((await over(readFileSync('test/fixtures/tls/localhost.crt', 'utf8')).verify(await signToken(first))).name).to.equal('crm');
        expect(tunnels).to.deep.equal([new URL(tlsServer.url).host]);
        expect((await rejection(over().verify(await signToken(first)))).code).to.equal('JCT_AUTH_UNAVAILABLE');
      } finally {
        await tlsServer.stop();
      }
    });

    it('reads the variables in either case and ignores empty ones', () => {
      expect(proxyFromEnv({})).to.equal(undefined);
      expect(proxyFromEnv({ HTTPS_PROXY: ' ', NO_PROXY: 'x' })).to.equal(undefined);
      expect(proxyFromEnv({ https_proxy: 'http://p:3128', HTTPS_PROXY: 'http://ignored:1', no_proxy: '.corp' })).to.deep.equal({ httpsProxy: 'http://p:3128', noProxy: '.corp' });
    });
  });
});
