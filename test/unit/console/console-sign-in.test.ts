import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import { buildApp } from '../../../src/app';
import { loadConfig } from '../../../src/config/load-config';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import { createConsoleRouter } from '../../../src/console/console-router';
import type { ConsoleOidcConfig } from '../../../src/config/admin-config-types';
import { ConsoleSignIn } from '../../../src/console/console-sign-in';
import { errorHandler } from '../../../src/gateway/http/error-handler';
import { DiscoveredProvider } from '../../../src/security/auth/discovered-provider';
import { IdpClient } from '../../../src/security/auth/idp-client';
import { RecordingLogger } from '../../integration/bus/recording-logger';
import { rejection } from '../../support/errors';
import { request } from '../../support/http';
import { OidcProvider } from '../../support/oidc-provider';
import { MINIMAL_CONFIG, TempConfigDir } from '../../support/temp-config';

describe('the console\'s single sign-on settings (admin.console.oidc)', function () {
  this.timeout(20_000);

  describe('at boot', () => {
    const dir = new TempConfigDir();
    after(() => dir.remove());
    /** buildApp's JCT_CONFIG_INVALID message for a configuration, '' when it boots. */
    const boot = (yaml: string): string => {
      try {
        buildApp(loadConfig(dir.write(`c-${randomBytes(4).toString('hex')}.yaml`, yaml), {}), { logger: silentLogger });
      } catch (error) {
        expect((error as JunctionError).code).to.equal('JCT_CONFIG_INVALID');
        return (error as Error).message;
      }
      return '';
    };
    const withJwt = (jwt: string, oidc: string): string => boot(`security:\n  auth:\n    jwt:\n      algorithms: [RS256]\n      discovery: true\n${jwt}admin:\n  console:\n    oidc:\n${oidc}${MINIMAL_CONFIG}`);

    it('refuses single sign-on without security.auth.jwt, naming file, line and path', () => {
      expect(boot(`admin:\n  console:\n    oidc: { clientId: junction-console }\n${MINIMAL_CONFIG}`))
        .to.match(/c-[0-9a-f]+\.yaml:\d+:\d+ admin\.console\.oidc: needs security\.auth\.jwt with the identity provider's issuer/);
    });

    it('boots with one https issuer, and checks which issuer, the ID token\'s audience and scope, and the redirect URI', () => {
      const one = '      issuer: https://idp.example.com/realms/ops\n      audience: junction\n';
      expect(withJwt(one, '      clientId: junction-console\n')).to.equal('');
      const two = '      jwksUrl: https://idp.example.com/certs\n      issuer: [https://a.example.com/x, https://b.example.com/y]\n      audience: [junction, junction-console]\n'.replace('      discovery: true\n', '');
      const several = boot(`security:\n  auth:\n    jwt:\n      algorithms: [RS256]\n${two}admin:\n  console:\n    oidc:\n      clientId: junction-console\n${MINIMAL_CONFIG}`);
      expect(several).to.match(/yaml:\d+:\d+ admin\.console\.oidc\.issuer: must name the issuer to sign in at: security\.auth\.jwt\.issuer lists several/);
      const other = boot(`security:\n  auth:\n    jwt:\n      algorithms: [RS256]\n${two}admin:\n  console:\n    oidc:\n      clientId: junction-console\n      issuer: https://c.example.com/z\n${MINIMAL_CONFIG}`);
      expect(other).to.contain('admin.console.oidc.issuer: must be one of security.auth.jwt.issuer');
      const chosen = boot(`security:\n  auth:\n    jwt:\n      algorithms: [RS256]\n${two}admin:\n  console:\n    oidc:\n      clientId: junction-console\n      issuer: https://b.example.com/y\n      token: id\n${MINIMAL_CONFIG}`);
      expect(chosen).to.equal('');
      expect(withJwt(one, '      clientId: junction-console\n      token: id\n')).to.contain('admin.console.oidc.token: is "id", but an ID token\'s audience is the client id "junction-console"');
      expect(withJwt('      issuer: https://idp.example.com/realms/ops\n      audience: junction-console\n', '      clientId: junction-console\n      token: id\n      scope: profile\n'))
        .to.contain('admin.console.oidc.scope: must include openid with token: id');
      expect(withJwt(one, '      clientId: junction-console\n      redirectUri: http://junction.example.com/console/\n')).to.contain('admin.console.oidc.redirectUri: must use https://');
      expect(withJwt(one, '      clientId: junction-console\n      scope: "openid  profile"\n')).to.contain('admin.console.oidc.scope');
      expect(withJwt(one, '      clientId: junction-console\n      clientSecret: s3cret\n')).to.contain('admin.console.oidc.clientSecret: is not a known setting');
    });
  });

  describe('from the discovery document (real HTTP)', () => {
    let provider: OidcProvider;
    let logger: RecordingLogger;
    let client: IdpClient;
    const signIn = (options: { oidc?: ConsoleOidcConfig; cacheSeconds?: number; cooldownSeconds?: number } = {}): ConsoleSignIn => new ConsoleSignIn({
      oidc: options.oidc ?? { clientId: provider.clientId, scope: 'openid', token: 'access' },
      provider: new DiscoveredProvider(provider.issuer, { fetch: client.fetch, timeoutMs: 2000, cacheSeconds: options.cacheSeconds ?? 600, cooldownSeconds: options.cooldownSeconds ?? 30 }),
    }, logger);
    const warnings = (): string[] => logger.lines.filter((l) => l.level === 'warn').map((l) => `${l.message} ${JSON.stringify(l.fields)}`);

    beforeEach(async () => {
      provider = new OidcProvider();
      logger = new RecordingLogger();
      client = new IdpClient({});
      await provider.start();
    });
    afterEach(async () => {
      await client.close();
      await provider.stop();
    });

    it('names the endpoints, the client and the scope — read once, then kept', async () => {
      const source = signIn({ oidc: { clientId: provider.clientId, scope: 'openid api://junction/ops', token: 'access', audience: 'https://junction.example.com', redirectUri: 'https://junction.example.com/console/' } });
      const expected = { oidc: {
        issuer: provider.issuer, authorization_endpoint: `${provider.issuer}/protocol/openid-connect/auth`, token_endpoint: provider.tokenEndpoint,
        client_id: provider.clientId, scope: 'openid api://junction/ops', token: 'access', audience: 'https://junction.example.com', redirect_uri: 'https://junction.example.com/console/',
      } };
      expect(await source.document()).to.deep.equal(expected);
      expect(await source.tokenOrigin()).to.equal(new URL(provider.tokenEndpoint).origin);
      expect(await source.document()).to.deep.equal(expected);
      expect(provider.server.discoveryRequests).to.equal(1);
    });

    it('holds the endpoints to the JWKS\'s rules and needs PKCE with S256', async () => {
      const original = provider.server.discovery;
      const refused = async (discovery: Record<string, unknown>): Promise<string> => {
        provider.server.discovery = { ...original, ...discovery };
        const error = await rejection(signIn().document());
        expect([error.code, error.httpStatus]).to.deep.equal(['JCT_AUTH_UNAVAILABLE', 503]);
        return error.message;
      };
      expect(await refused({ token_endpoint: 'http://idp.example.test/token' })).to.contain('the token_endpoint of the discovery document').and.contain('must use https://');
      expect(await refused({ authorization_endpoint: undefined })).to.contain('has no authorization_endpoint');
      expect(await refused({ code_challenge_methods_supported: ['plain'] })).to.contain('does not offer PKCE with S256');
      expect(await refused({ issuer: 'https://evil.example.test/realms/crm' })).to.contain('names the issuer "https://evil.example.test/realms/crm"');
    });

    it('while the provider is down: 503 saying why, one warning, tried again only after the cooldown; earlier endpoints stay in use', async () => {
      await provider.stop();
      const source = signIn({ cooldownSeconds: 0.2 });
      const error = await rejection(source.document());
      expect(error.code).to.equal('JCT_AUTH_UNAVAILABLE');
      expect(error.message).to.match(/^Signing in with the identity provider is not possible right now: .*ECONNREFUSED.*Paste a token instead/);
      expect(await source.tokenOrigin()).to.equal(undefined);
      expect(warnings()).to.have.length(1);
      expect(warnings()[0]).to.contain('Sign in with your identity provider').and.contain('"usingEarlierEndpoints":false');
      await provider.server.start();
      await new Promise((r) => setTimeout(r, 250));
      expect((await source.document()).oidc?.token_endpoint).to.equal(provider.tokenEndpoint);
      expect(logger.lines.filter((l) => l.level === 'info').map((l) => l.message)).to.deep.equal(['the console signs operators in at the identity provider']);

      const cached = signIn({ cacheSeconds: 0 });
      await cached.document();
      await provider.stop();
      expect((await cached.document()).oidc?.token_endpoint).to.equal(provider.tokenEndpoint);
      expect(warnings()[1]).to.contain('"usingEarlierEndpoints":true');
    });

    it('/console/sign-in.json: the settings, uncached; a problem+json 503 while they cannot be found; { oidc: null } without single sign-on', async () => {
      const serve = async (router: express.Router): Promise<{ base: string; server: Server }> => {
        const app = express().use('/console', router).use(errorHandler(silentLogger));
        const server = app.listen(0, '127.0.0.1');
        await new Promise((r) => server.once('listening', r));
        return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/console`, server };
      };
      const on = await serve(createConsoleRouter({ signIn: signIn() }));
      const off = await serve(createConsoleRouter());
      const unreachable = await serve(createConsoleRouter({ signIn: signIn() }));
      try {
        const answer = await request(`${on.base}/sign-in.json`);
        expect([answer.status, answer.headers.get('cache-control'), (answer.json.oidc as Record<string, unknown>).client_id]).to.deep.equal([200, 'no-store', provider.clientId]);
        const none = await request(`${off.base}/sign-in.json`);
        expect([none.status, none.json]).to.deep.equal([200, { oidc: null }]);
        expect(none.headers.get('content-security-policy')).to.contain("connect-src 'self';");
        await provider.stop();
        const down = await request(`${unreachable.base}/sign-in.json`);
        expect([down.status, down.headers.get('content-type'), down.json.code]).to.deep.equal([503, 'application/problem+json; charset=utf-8', 'JCT_AUTH_UNAVAILABLE']);
      } finally {
        for (const { server } of [on, off, unreachable]) server.close();
      }
    });
  });
});
