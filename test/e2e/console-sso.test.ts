import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { LoadedConfig } from '../../src/config/load-config';
import { withAdminTokens } from '../support/admin-tokens';
import { startDemoStack, type DemoStack } from '../support/demo-stack';
import { request } from '../support/http';
import { OidcProvider } from '../support/oidc-provider';

/** Debian's Chromium, headless, with the flags that work on these machines (shared NOTES). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** The demo with bearer JWTs from the provider (keys by discovery) and the console signing in there. */
function withSso(provider: OidcProvider) {
  return (loaded: LoadedConfig): LoadedConfig => {
    const { config } = withAdminTokens(loaded);
    return { ...loaded, config: { ...config,
      security: { ...config.security, auth: { ...config.security.auth,
        jwt: { algorithms: ['RS256'], discovery: true, issuer: provider.issuer, audience: 'junction', clientClaim: 'sub', rolesClaim: 'roles', clockToleranceSeconds: 5,
          jwksCacheSeconds: 600, jwksCooldownSeconds: 1, jwksTimeoutMs: 2000, jwksMaxStaleSeconds: 3600 } } },
      admin: { ...config.admin, console: { oidc: { clientId: provider.clientId, scope: 'openid profile', token: 'access' } } },
    } };
  };
}

describe('operators\' console in headless Chromium: "Sign in with your identity provider" (OpenID Connect, code flow with PKCE)', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'junction-console-sso-'));
  const provider = new OidcProvider();
  let stack: DemoStack;
  let browser: Browser;
  let consoleUrl: string;

  /** A new tab: its own sessionStorage, as an operator's fresh tab has. */
  const tab = async (): Promise<Page> => {
    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    return page;
  };
  const stored = (page: Page, key: string): Promise<string | null> => page.evaluate<string | null>(`sessionStorage.getItem(${JSON.stringify(key)})`);

  before(async () => {
    await provider.start();
    stack = await startDemoStack({ servers: { sqliteFile: path.join(dir, 'junction.db') }, adjust: withSso(provider) });
    consoleUrl = `${stack.base}/console/`;
    provider.redirectUris = [consoleUrl];
    provider.allowedOrigins = [new URL(stack.base).origin];
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
    await provider.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    provider.allowedOrigins = [new URL(stack.base).origin];
  });

  it('tells the page where to sign in — endpoints, client id, scope — and nothing secret; the page may post to the token endpoint\'s origin and no other', async () => {
    const answer = await request(`${consoleUrl}sign-in.json`);
    expect(answer.status).to.equal(200);
    expect(answer.headers.get('cache-control')).to.equal('no-store');
    expect(answer.json).to.deep.equal({ oidc: {
      issuer: provider.issuer, authorization_endpoint: `${provider.issuer}/protocol/openid-connect/auth`, token_endpoint: provider.tokenEndpoint,
      client_id: 'junction-console', scope: 'openid profile', token: 'access',
    } });
    expect(answer.text).not.to.match(/secret|password|BEGIN|"kty"/i);
    const page = await request(consoleUrl);
    const csp = String(page.headers.get('content-security-policy'));
    expect(csp.split('; ')).to.include.members(["default-src 'none'", "script-src 'self'", `connect-src 'self' ${new URL(provider.tokenEndpoint).origin}`, "frame-ancestors 'none'"]);
    expect(page.headers.get('referrer-policy')).to.equal('no-referrer');
    // The key source (discovery: true) and the console share one read of the discovery document.
    expect(provider.server.discoveryRequests).to.equal(1);
  });

  it('signs the operator in at the provider and back: name and role from the token, the code gone from the address bar, the page they asked for', async () => {
    const page = await tab();
    const blocked: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) blocked.push(m.text()); });
    await page.goto(`${consoleUrl}#/audit`);
    await page.getByTestId('sso').click();
    await page.locator('#who').filter({ hasText: 'ann' }).waitFor();
    expect(await page.locator('#who').textContent()).to.contain('ann (operator, jwt)');
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    expect(page.url()).to.equal(`${consoleUrl}#/audit`);
    const token = await stored(page, 'junction.token') ?? '';
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect([claims.aud, claims.sub]).to.deep.equal(['junction', 'ann']);
    expect(await stored(page, 'junction.sign-in')).to.equal(null);
    expect([provider.authorizeRequests, provider.tokenRequests, provider.refusals]).to.deep.equal([1, 1, []]);
    // No entry of the tab's history holds the code.
    await page.goBack();
    expect(page.url()).not.to.contain('code=');
    expect(blocked).to.deep.equal([]);
    await page.close();
  });

  it('an error from the provider is shown in words, and no token is kept', async () => {
    const page = await tab();
    await page.goto(consoleUrl);
    provider.nextError = 'access_denied';
    await page.getByTestId('sso').click();
    await page.getByTestId('sign-in-error').waitFor();
    expect(await page.getByTestId('sign-in-error').textContent()).to.contain('the sign-in was declined').and.contain('access_denied: test provider: access_denied');
    expect(page.url()).to.equal(consoleUrl);
    expect(await stored(page, 'junction.token')).to.equal(null);
    expect(await page.getByTestId('sso').isVisible()).to.equal(true);
    await page.close();
  });

  it('an answer whose state is not the one this tab sent, or that names another issuer, is not used: no code exchanged, no token; nor tokens for another sign-in (nonce)', async () => {
    const before = provider.tokenRequests;
    const page = await tab();
    await page.goto(consoleUrl);
    provider.nextState = 'forged-state';
    await page.getByTestId('sso').click();
    await page.getByTestId('sign-in-error').waitFor();
    expect(await page.getByTestId('sign-in-error').textContent()).to.contain('state does not match');
    // A code planted in a link, with no sign-in started in the tab, fares no better.
    await page.goto(`${consoleUrl}?code=planted&state=planted`);
    await page.getByTestId('sign-in-error').waitFor();
    expect(await page.getByTestId('sign-in-error').textContent()).to.contain('does not belong to a sign-in started in this tab');
    // An answer naming another identity provider (a mix-up, RFC 9207) is not exchanged either.
    provider.nextIss = 'https://other-idp.example.test/';
    await page.getByTestId('sso').click();
    await page.getByTestId('sign-in-error').filter({ hasText: 'another identity provider' }).waitFor();
    expect(page.url()).to.equal(consoleUrl);
    expect(await stored(page, 'junction.token')).to.equal(null);
    expect(provider.tokenRequests).to.equal(before);
    // Tokens whose ID token was issued for another sign-in (its nonce) are not kept.
    provider.nextNonce = 'nonce-of-another-sign-in';
    await page.getByTestId('sso').click();
    await page.getByTestId('sign-in-error').filter({ hasText: 'nonce does not match' }).waitFor();
    expect(await stored(page, 'junction.token')).to.equal(null);
    await page.close();
  });

  it('a console opened over plain http on a name other than localhost (no PKCE there: the browser withholds crypto.subtle) says so instead of doing nothing', async () => {
    // The same Junction under a host name: for the browser a page that is not a secure context.
    const insecure = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
      args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP console.junction.test 127.0.0.1'] });
    try {
      const page = await insecure.newPage();
      page.setDefaultTimeout(20_000);
      const url = `http://console.junction.test:${new URL(stack.base).port}/console/`;
      await page.goto(url);
      expect(await page.evaluate('window.isSecureContext')).to.equal(false);
      const before = provider.authorizeRequests;
      await page.getByTestId('sso').click();
      await page.getByTestId('sign-in-error').waitFor({ timeout: 5000 });
      expect(await page.getByTestId('sign-in-error').textContent()).to.contain('needs the console on https://').and.contain('paste a token');
      expect(page.url()).to.equal(url);
      expect(await stored(page, 'junction.sign-in')).to.equal(null);
      expect(provider.authorizeRequests).to.equal(before);
      await page.getByTestId('token').waitFor();
    } finally {
      await insecure.close();
    }
  });

  it('a token endpoint that does not let the console\'s origin read its answer (CORS) is explained, and pasting a token still works', async () => {
    provider.allowedOrigins = [];
    const page = await tab();
    await page.goto(consoleUrl);
    await page.getByTestId('sso').click();
    await page.getByTestId('sign-in-error').waitFor();
    expect(await page.getByTestId('sign-in-error').textContent()).to.contain(`does not allow this page's origin (${new URL(stack.base).origin})`);
    expect(await stored(page, 'junction.token')).to.equal(null);
    await page.getByTestId('token').fill('operator-token-0123456789');
    await page.getByTestId('login').locator('button').click();
    await page.locator('#who').filter({ hasText: 'alice' }).waitFor();
    await page.close();
  });
});
