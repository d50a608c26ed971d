import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { Request, Response } from 'express';
import { SignJWT } from 'jose';
import {
  adminChallenge, authenticate, checkAdminConfig, hasRole, TokenAuthenticator, type AdminPrincipal, type AuthenticateOptions, type Authenticator,
} from '../../../src/admin/admin-auth';
import { adminRoleOf, ClientAuthenticator } from '../../../src/admin/client-authenticator';
import { buildApp, type JunctionApp } from '../../../src/app';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { loadConfig } from '../../../src/config/load-config';
import type { AdminRoleMapping } from '../../../src/config/admin-config-types';
import { endpointOfStage, errorGroupKey, normaliseErrorMessage } from '../../../src/core/error-fingerprint';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import { ApiKeyVerifier } from '../../../src/security/auth/api-keys';
import { Authenticator as CredentialChecker } from '../../../src/security/auth/authenticator';
import { JwtVerifier } from '../../../src/security/auth/jwt-verifier';
import { rejection } from '../../support/errors';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { request } from '../../support/http';
import { MINIMAL_CONFIG, TempConfigDir } from '../../support/temp-config';

/** A request with these headers (names compared case-insensitively, as express does). */
const requestWith = (headers: Record<string, string | undefined>): Request => ({
  headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined).map(([k, v]) => [k.toLowerCase(), v])),
  header: (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1],
}) as unknown as Request;
const withAuth = (value?: string): Request => requestWith({ authorization: value });

describe('admin authentication (src/admin/admin-auth)', () => {
  let temp: TempConfigDir;
  beforeEach(() => { temp = new TempConfigDir(); });
  afterEach(() => temp.remove());

  it('refuses a token written in clear in the file, naming its line; accepts ${VAR} and sha256', () => {
    const clear = temp.write('clear.yaml', `${MINIMAL_CONFIG}\nadmin:\n  tokens:\n    - { name: ops, role: operator, token: s3cret-in-the-file }\n`);
    let error: unknown;
    try {
      checkAdminConfig(loadConfig(clear, {}));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(JunctionError);
    expect((error as JunctionError).code).to.equal('JCT_CONFIG_INVALID');
    expect((error as Error).message).to.match(/clear\.yaml:\d+:\d+ admin\.tokens\[0\]\.token: must be taken from the environment/);
    const good = temp.write('good.yaml', `${MINIMAL_CONFIG}\nadmin:\n  tokens:\n    - { name: ops, role: operator, token: "\${OPS_TOKEN}" }\n    - { name: bot, role: viewer, sha256: ${'a'.repeat(64)} }\n`);
    expect(() => checkAdminConfig(loadConfig(good, { OPS_TOKEN: 'x'.repeat(20) }))).not.to.throw();
    const twice = temp.write('twice.yaml', `${MINIMAL_CONFIG}\nadmin:\n  tokens:\n    - { name: ops, role: operator, sha256: ${'a'.repeat(64)} }\n    - { name: ops, role: viewer, sha256: ${'b'.repeat(64)} }\n`);
    expect(() => checkAdminConfig(loadConfig(twice, {}))).to.throw(/"ops" is used by another token/);
  });

  it('refuses a default replay pace above the fastest an operator may ask for, naming both settings', () => {
    const fast = temp.write('fast.yaml', `${MINIMAL_CONFIG}\nadmin:\n  replay:\n    ratePerSecond: 300\n    maxRatePerSecond: 200\n`);
    expect(() => checkAdminConfig(loadConfig(fast, {}))).to.throw(/fast\.yaml:\d+:\d+ admin\.replay\.ratePerSecond: is 300, above admin\.replay\.maxRatePerSecond \(200\)/);
    const even = temp.write('even.yaml', `${MINIMAL_CONFIG}\nadmin:\n  replay:\n    ratePerSecond: 200\n    maxRatePerSecond: 200\n`);
    expect(() => checkAdminConfig(loadConfig(even, {}))).not.to.throw();
  });

  it('resolves a bearer token to its principal; an unknown one or none is no principal; a non-bearer header is 401; an empty token is disabled', async () => {
    const auth = new TokenAuthenticator([
      { name: 'alice', role: 'operator', token: 'alice-token-123' },
      { name: 'bot', role: 'viewer', sha256: createHash('sha256').update('bot-token-456').digest('hex') },
      { name: 'nobody', role: 'admin', token: '' },
    ]);
    expect(auth.size).to.equal(2);
    expect(auth.disabled).to.deep.equal(['nobody']);
    expect(await auth.authenticate(withAuth('Bearer alice-token-123'))).to.deep.equal({ name: 'alice', role: 'operator', method: 'admin-token' });
    expect(await auth.authenticate(withAuth('bearer   bot-token-456'))).to.deep.equal({ name: 'bot', role: 'viewer', method: 'admin-token' });
    expect(await auth.authenticate(withAuth())).to.equal(undefined);
    expect(await auth.authenticate(withAuth('Bearer alice-token-12')), 'unknown: another authenticator may know it').to.equal(undefined);
    for (const bad of ['Basic YWxpY2U6eA==', 'Bearer ', 'Bearer ']) {
      expect(await rejection(auth.authenticate(withAuth(bad))), bad).to.have.property('code', 'JCT_ADMIN_UNAUTHENTICATED');
    }
  });

  it('orders roles viewer < operator < admin', () => {
    expect(hasRole('admin', 'operator')).to.equal(true);
    expect(hasRole('operator', 'operator')).to.equal(true);
    expect(hasRole('viewer', 'operator')).to.equal(false);
    expect(hasRole('operator', 'admin')).to.equal(false);
  });
});

describe('admin API with API keys and JWTs (src/admin/client-authenticator, the authenticate middleware)', () => {
  const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
  const MAPPING: AdminRoleMapping = { viewer: ['junction:viewer'], operator: ['junction:operator', 'ops-team'], admin: ['junction:admin'] };
  const KEYS = { ops: 'ops-bot-key-0123456789', plain: 'plain-client-key-0123456789' };
  const roles: Record<string, string[]> = { 'ops-bot': ['junction:operator'], shop: ['submit-orders'] };
  const checker = new CredentialChecker({
    apiKeyHeader: 'X-Api-Key', apiKeys: new ApiKeyVerifier([{ client: 'ops-bot', key: KEYS.ops }, { client: 'shop', key: KEYS.plain }]),
    rolesOf: (client) => roles[client] ?? [],
    jwt: new JwtVerifier({ algorithms: ['HS256'], secret: SECRET, issuer: 'https://idp.example', audience: 'junction' }),
  });
  const tokens = new TokenAuthenticator([{ name: 'alice', role: 'operator', token: 'alice-token-0123456789' }]);
  const authenticators: Authenticator[] = [tokens, new ClientAuthenticator(checker, MAPPING)];
  const options: AuthenticateOptions = checker;
  const jwt = (claims: Record<string, unknown>, exp: number | string = '5m', secret = SECRET): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://idp.example').setAudience('junction').setExpirationTime(exp).sign(new TextEncoder().encode(secret));

  /** Runs the middleware: the principal it stored, or the error it passed on, and the headers it set. */
  async function through(headers: Record<string, string | undefined>): Promise<{ principal?: AdminPrincipal; error?: JunctionError; challenge?: string }> {
    const set: Record<string, string> = {};
    const res = { locals: {} as Record<string, unknown>, setHeader: (name: string, value: string) => { set[name.toLowerCase()] = value; } } as unknown as Response;
    const error = await new Promise<unknown>((resolve) => { authenticate(authenticators, options)(requestWith(headers), res, resolve); });
    return {
      ...(res.locals.principal ? { principal: res.locals.principal as AdminPrincipal } : {}),
      ...(error ? { error: error as JunctionError } : {}),
      ...(set['www-authenticate'] ? { challenge: set['www-authenticate'] } : {}),
    };
  }

  it('maps client and JWT roles to the admin roles, the highest wins; none maps to none', () => {
    expect(adminRoleOf(['junction:viewer'], MAPPING)).to.equal('viewer');
    expect(adminRoleOf(['junction:viewer', 'ops-team'], MAPPING)).to.equal('operator');
    expect(adminRoleOf(['junction:operator', 'junction:admin', 'x'], MAPPING)).to.equal('admin');
    expect(adminRoleOf(['admin', 'operator', 'viewer'], MAPPING), 'plain names are not junction\'s roles').to.equal(undefined);
    expect(adminRoleOf([], MAPPING)).to.equal(undefined);
  });

  it('admin tokens, JWTs and API keys each give a principal with their method; roles from the JWT claim or the client', async () => {
    expect((await through({ authorization: 'Bearer alice-token-0123456789' })).principal).to.deep.equal({ name: 'alice', role: 'operator', method: 'admin-token' });
    expect((await through({ authorization: `Bearer ${await jwt({ sub: 'oncall-ann', roles: ['junction:operator'] })}` })).principal)
      .to.deep.equal({ name: 'oncall-ann', role: 'operator', method: 'jwt' });
    expect((await through({ authorization: `Bearer ${await jwt({ sub: 'boss', roles: 'junction:viewer junction:admin' })}` })).principal)
      .to.deep.equal({ name: 'boss', role: 'admin', method: 'jwt' });
    expect((await through({ 'x-api-key': KEYS.ops })).principal).to.deep.equal({ name: 'ops-bot', role: 'operator', method: 'api-key' });
  });

  it('no credentials, an unknown token, an expired or forged JWT, an unknown key, or two kinds at once: 401 with the admin challenge', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /needs credentials.*admin token.*JWT.*X-Api-Key/],
      [{ authorization: 'Bearer not-a-token-at-all' }, /neither a configured admin token nor a JWT/],
      [{ authorization: `Bearer ${await jwt({ sub: 'a', roles: ['junction:admin'] }, Math.floor(Date.now() / 1000) - 3600)}` }, /expired/],
      [{ authorization: `Bearer ${await jwt({ sub: 'a', roles: ['junction:admin'] }, '5m', 'a-forged-secret-of-at-least-32-bytes!!')}` }, /signature/],
      [{ 'x-api-key': 'guessed-key-0123456789' }, /API key is not valid/],
      [{ authorization: 'Bearer alice-token-0123456789', 'x-api-key': KEYS.ops }, /one kind of credentials/],
    ];
    for (const [headers, detail] of cases) {
      const { principal, error, challenge } = await through(headers);
      expect(principal, JSON.stringify(headers)).to.equal(undefined);
      expect([error?.code, error?.httpStatus], JSON.stringify(headers)).to.deep.equal(['JCT_ADMIN_UNAUTHENTICATED', 401]);
      expect(error?.message).to.match(detail);
      expect(challenge).to.equal('Bearer realm="junction-admin", ApiKey realm="junction-admin"');
    }
  });

  it('a client or JWT whose roles grant no admin role: 403, no challenge', async () => {
    for (const headers of [{ 'x-api-key': KEYS.plain }, { authorization: `Bearer ${await jwt({ sub: 'crm-app', roles: ['admin'] })}` }]) {
      const { error, challenge } = await through(headers);
      expect([error?.code, error?.httpStatus]).to.deep.equal(['JCT_ADMIN_FORBIDDEN', 403]);
      expect(error?.message).to.match(/holds no admin role/).and.match(/junction:viewer/);
      expect(challenge).to.equal(undefined);
    }
  });

  it('without JWTs configured a bearer token is only ever an admin token; without API keys the challenge is Bearer alone', async () => {
    const plain = new CredentialChecker({ apiKeyHeader: 'X-Api-Key', apiKeys: new ApiKeyVerifier([]), rolesOf: () => [] });
    const only = new ClientAuthenticator(plain, MAPPING);
    expect(await only.authenticate(withAuth(`Bearer ${await jwt({ sub: 'a', roles: ['junction:admin'] })}`))).to.equal(undefined);
    expect(adminChallenge(false)).to.equal('Bearer realm="junction-admin"');
  });
});

describe('failure causes (src/core/error-fingerprint)', () => {
  it('takes out ids, times, e-mail addresses and numbers; same cause, same key', () => {
    expect(normaliseErrorMessage('customer C-42 unknown (order 9f1c2b3a-1111-4222-8333-444455556666 at 2026-11-03T02:00:00.123Z, ada@example.org, 250.00)'))
      .to.equal('customer C-<n> unknown (order <id> at <time>, <email>, <n>)');
    expect(errorGroupKey('erp', 'JCT_ENDPOINT_REJECTED', 'customer C-41 unknown')).to.equal(errorGroupKey('erp', 'JCT_ENDPOINT_REJECTED', 'customer C-42 unknown'));
    expect(errorGroupKey('erp', 'JCT_ENDPOINT_REJECTED', 'x')).not.to.equal(errorGroupKey('oa', 'JCT_ENDPOINT_REJECTED', 'x'));
    expect(errorGroupKey(undefined, 'JCT_ENDPOINT_REJECTED', 'x')).not.to.equal(errorGroupKey(undefined, 'JCT_ENDPOINT_TIMEOUT', 'x'));
    expect(endpointOfStage('deliver:erp-orders')).to.equal('erp-orders');
    expect(endpointOfStage('step:erp-orders:map')).to.equal(undefined);
  });
});

describe('admin API wiring (src/admin/operator-tools with src/app)', () => {
  const temp = new TempConfigDir();
  const TOKEN = 'alice-token-0123456789';
  let app: JunctionApp;
  let base: string;

  before(async () => {
    // An admin token, and no client with an API key.
    const file = temp.write('junction.yaml', `${MINIMAL_CONFIG.replace('path: /orders }', 'path: /orders, businessKey: /orderId }')}
admin:
  tokens:
    - { name: alice, role: operator, sha256: ${createHash('sha256').update(TOKEN).digest('hex')} }
retention: { enabled: false }
`);
    app = buildApp(loadConfig(file, {}), { logger: silentLogger, port: 0, log: new FakeTransactionLog(), broker: new MemoryBroker({ requeueDelayMs: 10 }) });
    base = await app.start();
  });
  after(async () => {
    await app.close();
    temp.remove();
  });

  it('without any client API key, an admin token with an API-key header too is 401 (one kind of credentials), challenge Bearer alone', async () => {
    const alone = await request(`${base}/admin/api/whoami`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(alone.status, alone.text).to.equal(200);
    expect(alone.json).to.deep.equal({ name: 'alice', role: 'operator', method: 'admin-token' });
    const both = await request(`${base}/admin/api/whoami`, { headers: { authorization: `Bearer ${TOKEN}`, 'x-api-key': 'stray-key-0123456789' } });
    expect(both.status, both.text).to.equal(401);
    expect(both.text).to.match(/JCT_ADMIN_UNAUTHENTICATED/).and.match(/one kind of credentials/);
    expect(both.headers.get('www-authenticate')).to.equal('Bearer realm="junction-admin"');
  });

  it('lists the routes with their business key pointer as written', async () => {
    const routes = await request(`${base}/admin/api/routes`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(routes.status, routes.text).to.equal(200);
    expect(routes.json.items).to.deep.include({
      id: 'submit-order', pattern: 'one-way', capture: 'original', businessKey: '/orderId', steps: [],
      recipients: [{ endpoint: 'oa', conditional: false, steps: [] }],
    });
  });
});
