import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { DiscoveredProvider, DiscoveredProviders, type DiscoveredProviderOptions } from '../../../src/security/auth/discovered-provider';
import { IdpClient } from '../../../src/security/auth/idp-client';
import { rejection } from '../../support/errors';
import { JwksServer } from '../../support/jwks-server';


describe('the discovered provider: one reader of an issuer\'s discovery document for everything that needs it (real HTTP)', function () {
  this.timeout(20_000);
  let server: JwksServer;
  let client: IdpClient;

  const providerOf = (options: Partial<DiscoveredProviderOptions> = {}): DiscoveredProvider =>
    new DiscoveredProvider(server.issuer, { fetch: client.fetch, timeoutMs: 2000, cacheSeconds: 600, cooldownSeconds: 30, ...options });

  beforeEach(async () => {
    server = new JwksServer();
    client = new IdpClient({});
    await server.start();
  });
  afterEach(async () => {
    await client.close();
    await server.stop();
  });

  it('concurrent callers share one read, and the document is kept for cacheSeconds', async () => {
    const provider = providerOf();
    expect(provider.lastKnown).to.equal(undefined);
    const documents = await Promise.all([provider.current(), provider.current(), provider.readSince(Date.now()), provider.current()]);
    expect(server.discoveryRequests).to.equal(1);
    expect(new Set(documents).size).to.equal(1);
    expect(documents[0]?.endpoint('jwks_uri')).to.equal(server.url);
    expect(await provider.current()).to.equal(documents[0]);
    expect(provider.lastKnown).to.equal(documents[0]);
    expect(server.discoveryRequests).to.equal(1);
  });

  it('reads again once the document is cacheSeconds old (age), or when asked for one younger than a moment (the keys failed then)', async () => {
    const provider = providerOf({ cacheSeconds: 0.3 });
    const first = await provider.current();
    const failedAt = Date.now();
    await sleep(5);
    const second = await provider.readSince(failedAt);
    expect(second).to.not.equal(first);
    expect(await provider.readSince(failedAt)).to.equal(second); // read after that moment already
    expect(await provider.current()).to.equal(second);
    expect(server.discoveryRequests).to.equal(2);
    await sleep(350);
    expect(await provider.current()).to.not.equal(second);
    expect(server.discoveryRequests).to.equal(3);
  });

  it('a failed read is every caller\'s answer for cooldownSeconds, without a request; then it is tried again; the last good document stays known', async () => {
    const provider = providerOf({ cacheSeconds: 0.1, cooldownSeconds: 0.4 });
    const good = await provider.current();
    await sleep(150);
    server.discovery = null;
    const first = await rejection(provider.current());
    expect(first.message).to.contain('answered HTTP 404 instead of 200');
    expect(await rejection(provider.current())).to.equal(first);
    expect(await rejection(provider.readSince(Date.now()))).to.equal(first);
    expect(server.discoveryRequests).to.equal(2);
    expect(provider.lastKnown).to.equal(good);
    server.discovery = {};
    await sleep(450);
    expect((await provider.current()).endpoint('jwks_uri')).to.equal(server.url);
    expect(server.discoveryRequests).to.equal(3);
  });

  it('a document naming another issuer is refused and never becomes the known one', async () => {
    server.discovery = { issuer: 'https://evil.example.test/realms/crm' };
    const provider = providerOf();
    expect((await rejection(provider.current())).message).to.contain('names the issuer "https://evil.example.test/realms/crm"');
    expect(provider.lastKnown).to.equal(undefined);
  });

  it('checks each endpoint by its own rules: an unusable one is refused to whoever asks for it, the others stay usable', async () => {
    server.discovery = { jwks_uri: 'http://idp.example.test/jwks', token_endpoint: `${server.issuer}/token` };
    const document = await providerOf().current();
    expect(() => document.endpoint('jwks_uri')).to.throw(/^the jwks_uri of the discovery document of the issuer .* must use https:\/\//);
    expect(() => document.endpoint('authorization_endpoint')).to.throw(/has no authorization_endpoint/);
    expect(document.endpoint('token_endpoint')).to.equal(`${server.issuer}/token`);
    expect(document.codeChallengeMethods).to.equal(undefined);
  });

  it('DiscoveredProviders: one object per issuer, whoever asks', () => {
    const providers = new DiscoveredProviders({ fetch: client.fetch, timeoutMs: 2000, cacheSeconds: 600, cooldownSeconds: 30 });
    const a = providers.of('https://idp.example.com/realms/a');
    expect(providers.of('https://idp.example.com/realms/a')).to.equal(a);
    expect(providers.of('https://idp.example.com/realms/b')).to.not.equal(a);
    expect(a.issuer).to.equal('https://idp.example.com/realms/a');
  });
});
