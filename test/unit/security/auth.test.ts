import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { SignJWT } from 'jose';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { JunctionError } from '../../../src/core/errors';
import { AccessPolicy } from '../../../src/security/auth/access-policy';
import { ApiKeyVerifier } from '../../../src/security/auth/api-keys';
import { Authenticator } from '../../../src/security/auth/authenticator';
import { JwtVerifier } from '../../../src/security/auth/jwt-verifier';
import { NonceCache } from '../../../src/security/auth/nonce-cache';
import { PASSWORD_DIGEST, PASSWORD_TEXT, UsernameTokenVerifier, WSSE_NS, WSU_NS } from '../../../src/security/auth/username-token';
import { rejection } from '../../support/errors';

function thrown(f: () => unknown): JunctionError {
  try {
    f();
  } catch (error) {
    return error as JunctionError;
  }
  throw new Error('expected an error');
}

const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
const hs = new TextEncoder().encode(SECRET);
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PUBLIC_PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();

function token(claims: Record<string, unknown>, alg = 'HS256', key: Parameters<SignJWT['sign']>[0] = hs, exp: string | number = '5m'): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg }).setIssuedAt().setIssuer('https://idp.example').setAudience('junction');
  if (exp !== 0) jwt.setExpirationTime(exp);
  return jwt.sign(key);
}

describe('JWT bearer tokens (security/auth/jwt-verifier, jose)', () => {
  const hsVerifier = new JwtVerifier({ algorithms: ['HS256'], secret: SECRET, issuer: 'https://idp.example', audience: 'junction' });
  const rsVerifier = new JwtVerifier({ algorithms: ['RS256'], publicKey: PUBLIC_PEM, issuer: 'https://idp.example', audience: ['junction', 'other'], rolesClaim: 'roles' });

  it('accepts HS256 and RS256 tokens with the right issuer, audience and expiry; client from sub, roles from the claim', async () => {
    expect(await hsVerifier.verify(await token({ sub: 'crm-app' }))).to.deep.equal({ name: 'crm-app', method: 'jwt', roles: [] });
    expect(await rsVerifier.verify(await token({ sub: 'ops', roles: ['operator'] }, 'RS256', privateKey))).to.deep.equal({ name: 'ops', method: 'jwt', roles: ['operator'] });
  });

  it('refuses expired, not-yet-valid, wrong issuer, wrong audience, no exp, forged and alg-confused tokens, saying which check failed', async () => {
    const cases: [string, Promise<string>, JwtVerifier][] = [
      ['has expired', token({ sub: 'a' }, 'HS256', hs, Math.floor(Date.now() / 1000) - 120), hsVerifier],
      ['not valid yet', new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://idp.example').setAudience('junction').setNotBefore('10m').setExpirationTime('20m').sign(hs), hsVerifier],
      ['issuer', new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://evil.example').setAudience('junction').setExpirationTime('5m').sign(hs), hsVerifier],
      ['audience', new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://idp.example').setAudience('someone-else').setExpirationTime('5m').sign(hs), hsVerifier],
      ['no expiry', token({ sub: 'a' }, 'HS256', hs, 0), hsVerifier],
      ['signature', token({ sub: 'a' }, 'HS256', new TextEncoder().encode('another-secret-of-at-least-32-bytes!!!')), hsVerifier],
      // The RSA public key used as an HMAC secret: the classic algorithm-confusion forgery.
      ['algorithm', token({ sub: 'a' }, 'HS256', new TextEncoder().encode(PUBLIC_PEM)), rsVerifier],
      ['malformed', Promise.resolve('not.a.jwt'), hsVerifier],
      ['algorithm', Promise.resolve(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'a', iss: 'https://idp.example', aud: 'junction', exp: 9999999999 })).toString('base64url')}.`), hsVerifier],
    ];
    for (const [words, jwt, verifier] of cases) {
      const error = await rejection(verifier.verify(await jwt));
      expect(error.code, words).to.equal('JCT_AUTH_FAILED');
      expect(error.message, words).to.contain(words);
    }
    expect((await rejection(hsVerifier.verify(await token({})))).message).to.contain('"sub" claim does not name a client');
  });

  it('refuses at boot: HS with a short secret, RS without a public key, HS and RS mixed', () => {
    expect(thrown(() => new JwtVerifier({ algorithms: ['HS256'], secret: 'short', issuer: 'i', audience: 'a' })).code).to.equal('JCT_CONFIG_INVALID');
    expect(thrown(() => new JwtVerifier({ algorithms: ['RS256'], issuer: 'i', audience: 'a' })).code).to.equal('JCT_CONFIG_INVALID');
    expect(thrown(() => new JwtVerifier({ algorithms: ['HS256', 'RS256'], secret: SECRET, publicKey: PUBLIC_PEM, issuer: 'i', audience: 'a' })).message).to.contain('mixes');
  });
});

function securityHeader(fields: { username: string; password: string; type: string; nonce?: Buffer; created?: string }): Element {
  const nonce = fields.nonce ? `<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${fields.nonce.toString('base64')}</wsse:Nonce>` : '';
  const created = fields.created ? `<wsu:Created>${fields.created}</wsu:Created>` : '';
  const xml = `<wsse:Security xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}"><wsse:UsernameToken><wsse:Username>${fields.username}</wsse:Username>`
    + `<wsse:Password Type="${fields.type}">${fields.password}</wsse:Password>${nonce}${created}</wsse:UsernameToken></wsse:Security>`;
  return new DOMParser().parseFromString(xml, 'application/xml').documentElement as unknown as Element;
}

function digest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1').update(nonce).update(created).update(password).digest('base64');
}

describe('WS-Security UsernameToken (security/auth/username-token)', () => {
  const now = Date.parse('2026-11-20T10:00:00Z');
  const created = '2026-11-20T09:59:30Z';
  const users = [{ username: 'erp', password: 'pa55-word', client: 'erp-batch', roles: [] }];
  const verifier = (digestOnly = false): UsernameTokenVerifier => new UsernameTokenVerifier(users, { maxAgeSeconds: 300, clockSkewSeconds: 60, digestOnly }, new NonceCache(1000));

  it('accepts PasswordDigest and PasswordText with a fresh nonce and Created', async () => {
    const v = verifier();
    const nonce = randomBytes(16);
    expect(await v.verify(securityHeader({ username: 'erp', password: digest(nonce, created, 'pa55-word'), type: PASSWORD_DIGEST, nonce, created }), now))
      .to.deep.equal({ name: 'erp-batch', method: 'username-token', roles: [] });
    expect((await v.verify(securityHeader({ username: 'erp', password: 'pa55-word', type: PASSWORD_TEXT, nonce: randomBytes(16), created }), now)).name).to.equal('erp-batch');
  });

  it('refuses a replayed nonce, a stale or future Created, a wrong password, an unknown user (same words), no nonce', async () => {
    const v = verifier();
    const nonce = randomBytes(16);
    const header = securityHeader({ username: 'erp', password: digest(nonce, created, 'pa55-word'), type: PASSWORD_DIGEST, nonce, created });
    await v.verify(header, now);
    expect((await rejection(v.verify(header, now + 1000))).message).to.contain('already used');
    const stale = '2026-11-20T09:54:00Z';
    const n2 = randomBytes(16);
    expect((await rejection(v.verify(securityHeader({ username: 'erp', password: digest(n2, stale, 'pa55-word'), type: PASSWORD_DIGEST, nonce: n2, created: stale }), now))).message).to.contain('older than 300 s');
    const future = '2026-11-20T10:05:00Z';
    expect((await rejection(v.verify(securityHeader({ username: 'erp', password: digest(n2, future, 'pa55-word'), type: PASSWORD_DIGEST, nonce: n2, created: future }), now))).message).to.contain('future');
    const wrong = await rejection(v.verify(securityHeader({ username: 'erp', password: digest(n2, created, 'guess'), type: PASSWORD_DIGEST, nonce: n2, created }), now));
    const unknown = await rejection(v.verify(securityHeader({ username: 'nobody', password: digest(n2, created, 'pa55-word'), type: PASSWORD_DIGEST, nonce: n2, created }), now));
    expect(wrong.code).to.equal('JCT_AUTH_FAILED');
    expect(wrong.message).to.equal(unknown.message);
    expect((await rejection(v.verify(securityHeader({ username: 'erp', password: 'pa55-word', type: PASSWORD_TEXT, created }), now))).message).to.contain('no Nonce');
    expect((await rejection(v.verify(undefined, now))).code).to.equal('JCT_AUTH_REQUIRED');
    // A wrong password never burns the nonce: the right request with it still works.
    expect((await v.verify(securityHeader({ username: 'erp', password: digest(n2, created, 'pa55-word'), type: PASSWORD_DIGEST, nonce: n2, created }), now)).name).to.equal('erp-batch');
  });

  it('digestOnly refuses PasswordText', async () => {
    expect((await rejection(verifier(true).verify(securityHeader({ username: 'erp', password: 'pa55-word', type: PASSWORD_TEXT, nonce: randomBytes(16), created }), now))).message).to.contain('PasswordDigest');
  });

  it('the in-memory nonce cache stays bounded, forgetting the oldest first', () => {
    let evicted = 0;
    const cache = new NonceCache(3, () => { evicted += 1; });
    for (const n of ['a', 'b', 'c', 'd']) cache.remember(n, 5000, 1000);
    expect(cache.size).to.equal(3);
    expect(evicted).to.equal(1);
    expect(cache.remember('a', 5000, 1000)).to.equal(true); // forgotten early: the warning tells the operator
  });
});

describe('HTTP credentials and per-route authorization', () => {
  const auth = new Authenticator({
    apiKeyHeader: 'X-Api-Key',
    apiKeys: new ApiKeyVerifier([{ client: 'crm', key: 'k-crm-0123456789abcdef' }, { client: 'shop', key: 'k-shop-0123456789abcdef' }]),
    rolesOf: (c) => (c === 'crm' ? ['operator'] : []),
    jwt: new JwtVerifier({ algorithms: ['HS256'], secret: SECRET, issuer: 'https://idp.example', audience: 'junction' }),
  });

  it('finds the client of an API key or a bearer JWT; none sent is no principal', async () => {
    expect(await auth.fromHeaders({ 'x-api-key': 'k-shop-0123456789abcdef' })).to.deep.equal({ name: 'shop', method: 'api-key', roles: [] });
    expect((await auth.fromHeaders({ authorization: `Bearer ${await token({ sub: 'crm' })}` }))?.name).to.equal('crm');
    expect(await auth.fromHeaders({})).to.equal(undefined);
  });

  it('refuses a wrong key, both kinds at once, and UsernameTokens when no user is configured', async () => {
    expect((await rejection(auth.fromHeaders({ 'x-api-key': 'k-crm-0123456789abcdeX' }))).code).to.equal('JCT_AUTH_FAILED');
    expect((await rejection(auth.fromHeaders({ 'x-api-key': 'k-crm-0123456789abcdef', authorization: 'Bearer x' }))).message).to.contain('not two');
    expect((await rejection(auth.fromUsernameToken(undefined))).code).to.equal('JCT_AUTH_FAILED');
  });

  it('lets a client call only its routes; unknown JWT subjects nothing; everything with authentication off', () => {
    const policy = new AccessPolicy('required', { crm: { routes: ['*'] }, shop: { routes: ['submit-order'] } });
    expect(policy.mayCall({ name: 'shop', method: 'api-key', roles: [] }, 'submit-order')).to.equal(true);
    expect(thrown(() => policy.check({ name: 'shop', method: 'api-key', roles: [] }, 'upsert-customer', 'PUT /customers')).code).to.equal('JCT_FORBIDDEN');
    expect(policy.mayCall({ name: 'crm', method: 'jwt', roles: [] }, 'anything')).to.equal(true);
    expect(policy.mayCall({ name: 'stranger', method: 'jwt', roles: [] }, 'submit-order')).to.equal(false);
    expect(thrown(() => policy.check(undefined, 'submit-order', 'x')).code).to.equal('JCT_AUTH_REQUIRED');
    expect(new AccessPolicy('off', {}).mayCall(undefined, 'submit-order')).to.equal(true);
  });
});
