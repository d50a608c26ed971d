import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { SignJWT } from 'jose';
import { chromium, type Browser } from 'playwright-core';
import type { LoadedConfig } from '../../src/config/load-config';
import { openMysql } from '../contract/transaction-log.support';
import { ADMIN_TEST_TOKENS, withAdminTokens } from '../support/admin-tokens';
import { startDemoStack, type DemoStack } from '../support/demo-stack';
import { requireEnv, uniqueName } from '../support/env';
import { eventually, request, type TestResponse } from '../support/http';

/** Values that are masked (security.masking: email, phone) and must never leave the admin API, the console or the audit table in clear. */
const SECRETS = { email: 'ada.secret.lovelace@example.org', phone: '+44 20 7946 0958', newEmail: 'ada.changed.secret@example.net' };
const KEYS = { crm: `crm-${randomBytes(16).toString('hex')}`, opsBot: `ops-${randomBytes(16).toString('hex')}`, shop: `shop-${randomBytes(16).toString('hex')}` };
const JWT_SECRET = randomBytes(32).toString('base64');
const ISSUER = 'https://idp.example.test/';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

function jwt(sub: string, roles: readonly string[], options: { exp?: number | string; secret?: string } = {}): Promise<string> {
  return new SignJWT({ sub, roles: [...roles] }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience('junction')
    .setIssuedAt().setExpirationTime(options.exp ?? '5m').sign(Buffer.from(options.secret ?? JWT_SECRET, 'utf8'));
}

/**
 * The demo with authentication required, a JWT issuer (HS256), three API-key clients — `crm` (every
 * route, no admin role), `ops-bot` (junction:operator) and `shop` (no admin role) — email and phone
 * masked, and the customer route keeping every step's payload.
 */
function secured(dir: string) {
  const file = (name: string, value: string): { file: string } => {
    const at = path.join(dir, name);
    writeFileSync(at, value);
    return { file: at };
  };
  return (loaded: LoadedConfig): LoadedConfig => {
    const { config } = withAdminTokens(loaded);
    return { ...loaded, config: { ...config,
      security: { ...config.security,
        auth: { ...config.security.auth, mode: 'required',
          jwt: { algorithms: ['HS256'], secret: file('jwt-secret', JWT_SECRET), issuer: ISSUER, audience: 'junction', clientClaim: 'sub', rolesClaim: 'roles', clockToleranceSeconds: 5,
            discovery: false, jwksCacheSeconds: 600, jwksCooldownSeconds: 30, jwksTimeoutMs: 5000, jwksMaxStaleSeconds: 3600 } },
        clients: {
          crm: { apiKey: file('crm-key', KEYS.crm), routes: ['*'], roles: [] },
          'ops-bot': { apiKey: file('ops-key', KEYS.opsBot), routes: [], roles: ['junction:operator'] },
          shop: { apiKey: file('shop-key', KEYS.shop), routes: ['submit-order'], roles: ['orders'] },
        },
        masking: { ...config.security.masking, fields: ['**/password', '**/cardNumber', '**/email', '**/phone'] },
      },
      routes: config.routes.map((r) => (r.id === 'upsert-customer' ? { ...r, capture: 'steps' as const } : r)),
    } };
  };
}

/** Every row of the audit table, as text. */
async function auditTable(stack: DemoStack, sqliteFile: string | undefined): Promise<string> {
  const table = `${stack.tablePrefix}audit`;
  if (sqliteFile) {
    const db = new Database(sqliteFile, { readonly: true, fileMustExist: true });
    try {
      return JSON.stringify(db.prepare(`SELECT * FROM "${table}"`).all());
    } finally {
      db.close();
    }
  }
  const db = await openMysql(requireEnv('JUNCTION_TEST_DB_URL'));
  try {
    const [rows] = await db.query(`SELECT * FROM \`${table}\``);
    return JSON.stringify(rows);
  } finally {
    await db.end();
  }
}

function expectNoSecret(text: string, where: string): void {
  for (const [name, value] of Object.entries(SECRETS)) expect(text, `${name} in ${where}`).not.to.contain(value);
}

for (const variant of ['MariaDB + RabbitMQ', 'SQLite + in-process bus'] as const) {
  describe(`admin API with JWTs, API keys and masking (${variant})`, function () {
    this.timeout(120_000);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'junction-admin-sec-'));
    const sqliteFile = variant.startsWith('SQLite') ? path.join(dir, 'junction.db') : undefined;
    const tag = uniqueName('sec');
    let stack: DemoStack;
    const failed: string[] = [];
    /** Every admin API answer read in this suite (checked for secrets at the end). */
    const answers: string[] = [];
    const admin = async (pathAndQuery: string, auth: Record<string, string>, body?: unknown): Promise<TestResponse> => {
      const r = await request(`${stack.base}/admin/api${pathAndQuery}`, {
        method: body === undefined ? 'GET' : 'POST', headers: { ...auth, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      answers.push(r.text);
      return r;
    };
    const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
    const viewerToken = bearer(ADMIN_TEST_TOKENS.viewer);
    const statusOf = async (id: string): Promise<string> => String((await admin(`/messages/${id}`, viewerToken)).json.status);
    const customer = (id: string, email: string): string => JSON.stringify({ name: `Ada ${id}`, email, phone: SECRETS.phone, status: 'ACTIVE' });

    before(async () => {
      stack = await startDemoStack({ servers: sqliteFile ? { sqliteFile } : 'real', adjust: secured(dir) });
      stack.erp.setBehaviour({ faultCode: 'Client' });
      for (let i = 0; i < 3; i += 1) {
        const id = `${tag}-${i}`;
        const r = await request(`${stack.base}/api/v1/customers/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-api-key': KEYS.crm }, body: customer(id, SECRETS.email) });
        expect(r.status, r.text).to.be.within(400, 599);
        failed.push(String(r.headers.get('x-junction-message-id')));
      }
      for (const id of failed) await eventually(async () => ((await statusOf(id)) === 'FAILED' ? true : undefined), 20_000);
    });
    after(async () => {
      await stack?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('signs in with a JWT or an API key whose roles map to an admin role; refuses the rest with 401/403 as problem+json', async () => {
      const who = async (auth: Record<string, string>) => (await admin('/whoami', auth)).json;
      expect(await who(bearer(await jwt('oncall-ann', ['junction:operator'])))).to.deep.equal({ name: 'oncall-ann', role: 'operator', method: 'jwt' });
      expect(await who(bearer(await jwt('auditor', ['junction:viewer', 'other-app:admin'])))).to.deep.equal({ name: 'auditor', role: 'viewer', method: 'jwt' });
      expect(await who({ 'x-api-key': KEYS.opsBot })).to.deep.equal({ name: 'ops-bot', role: 'operator', method: 'api-key' });
      expect(await who(viewerToken)).to.deep.equal({ name: 'vic', role: 'viewer', method: 'admin-token' });

      const refusals: [Record<string, string>, number, string, RegExp][] = [
        [{}, 401, 'JCT_ADMIN_UNAUTHENTICATED', /needs credentials/],
        [bearer(await jwt('ann', ['junction:admin'], { exp: Math.floor(Date.now() / 1000) - 600 })), 401, 'JCT_ADMIN_UNAUTHENTICATED', /expired/],
        [bearer(await jwt('ann', ['junction:admin'], { secret: randomBytes(32).toString('base64') })), 401, 'JCT_ADMIN_UNAUTHENTICATED', /signature/],
        [bearer('not-a-token-anyone-configured'), 401, 'JCT_ADMIN_UNAUTHENTICATED', /neither a configured admin token nor a JWT/],
        [{ 'x-api-key': 'guessed-key-0123456789abcdef' }, 401, 'JCT_ADMIN_UNAUTHENTICATED', /API key is not valid/],
        [{ 'x-api-key': KEYS.shop }, 403, 'JCT_ADMIN_FORBIDDEN', /"shop" holds no admin role/],
        [bearer(await jwt('crm-app', ['admin'])), 403, 'JCT_ADMIN_FORBIDDEN', /holds no admin role/],
      ];
      for (const [auth, status, code, detail] of refusals) {
        const r = await admin('/messages', auth);
        expect([r.status, r.json.code], JSON.stringify(auth)).to.deep.equal([status, code]);
        expect(r.headers.get('content-type')).to.match(/^application\/problem\+json/);
        expect(String(r.json.detail)).to.match(detail);
        expect(r.headers.get('www-authenticate'), code).to.equal(status === 401 ? 'Bearer realm="junction-admin", ApiKey realm="junction-admin"' : null);
      }
      // The gateways keep their own challenge.
      const gateway = await request(`${stack.base}/api/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect([gateway.status, gateway.headers.get('www-authenticate')]).to.deep.equal([401, 'Bearer, ApiKey']);

      const viewerJwt = bearer(await jwt('auditor', ['junction:viewer']));
      const refused = await admin(`/messages/${failed[0]}/replay`, viewerJwt, { reason: 'try' });
      expect([refused.status, refused.json.code]).to.deep.equal([403, 'JCT_ADMIN_FORBIDDEN']);
      expect(String(refused.json.detail)).to.contain('auditor is viewer');
      expect(await statusOf(failed[0] as string)).to.equal('FAILED');
      expect((await admin(`/messages/${failed[0]}`, viewerToken)).json.replays).to.deep.equal([]);
    });

    it('masks every view of a message: payloads of every stage (the ERP\'s renamed MAIL/TEL too), diffs, dry-runs, groups', async () => {
      const operator = bearer(await jwt('oncall-ann', ['junction:operator']));
      const id = failed[0] as string;
      const detail = await admin(`/messages/${id}?pretty=true`, viewerToken);
      expect(detail.status).to.equal(200);
      expect(JSON.parse(String(detail.json.payload))).to.deep.include({ email: '****', phone: '****', name: `Ada ${tag}-0` });
      const stages = detail.json.stages as { seq: number; stage: string; payload?: string }[];
      const mapped = stages.find((s) => s.stage === 'step:crm-to-erp');
      expect(mapped?.payload).to.contain('"MAIL":"****"').and.contain('"TEL":"****"').and.contain(`"CUST_NO":"${tag}-0"`);

      const diff = await admin(`/diff?a=${id}&b=${id}:${mapped?.seq}`, viewerToken);
      expect(diff.json.changed).to.equal(true);
      expect(JSON.stringify(diff.json.lines)).to.contain('****');
      const dry = await admin(`/messages/${id}/dry-run`, operator, {});
      expect(dry.json).to.deep.include({ verdict: 'would-deliver', delivered: false });
      const request = (dry.json.deliveries as { request: { body: string } }[])[0]?.request;
      expect(request?.body, 'the SOAP request the ERP would get').to.match(/<[\w:]*MAIL>\*\*\*\*<\/[\w:]*MAIL>/).and.contain(`${tag}-0`);
      const edited = await admin(`/messages/${id}/dry-run`, operator, { payload: JSON.stringify({ customerId: `${tag}-0`, ...JSON.parse(customer(`${tag}-0`, SECRETS.newEmail)) }) });
      expect(edited.status, edited.text).to.equal(200);
      const bulk = await admin('/dry-runs', operator, { filter: { route: 'upsert-customer' }, limit: 10 });
      expect(bulk.json.tried).to.be.at.least(3);
      expect((await admin('/failure-groups?route=upsert-customer', viewerToken)).json.items).to.have.length.at.least(1);
      expect((await admin(`/messages?route=upsert-customer&businessKey=${tag}-0`, viewerToken)).json.items).to.have.length(1);
      for (const answer of answers) expectNoSecret(answer, 'an admin API answer');
    });

    it('refuses an edited replay still holding the mask copied from a masked view (422), and replays nothing', async () => {
      const id = failed[0] as string;
      const shown = String((await admin(`/messages/${id}`, viewerToken)).json.payload);
      const operator = bearer(await jwt('oncall-ann', ['junction:operator']));
      for (const action of ['replay', 'dry-run']) {
        const r = await admin(`/messages/${id}/${action}`, operator, { payload: shown.replace(`Ada ${tag}-0`, 'Ada Lovelace'), reason: 'fix the name' });
        expect([r.status, r.json.code], r.text).to.deep.equal([422, 'JCT_REPLAY_PAYLOAD_MASKED']);
        expect((r.json.violations as { path: string }[]).map((v) => v.path)).to.deep.equal(['/email', '/phone']);
      }
      const after = (await admin(`/messages/${id}`, viewerToken)).json;
      expect([after.status, after.resolution, after.replays]).to.deep.equal(['FAILED', undefined, []]);
      expect((await admin(`/audit?messageId=${id}`, viewerToken)).json.items).to.deep.equal([]);
    });

    it('a JWT operator replays with the real payload: the ERP gets the real email; the audit names the JWT subject and method', async () => {
      stack.erp.setBehaviour({ faultCode: null });
      const id = failed[0] as string;
      const r = await admin(`/messages/${id}/replay`, bearer(await jwt('oncall-ann', ['junction:operator'])), { reason: `customer ${SECRETS.email} called` });
      expect(r.status, r.text).to.equal(202);
      const replayId = String(r.json.replayId);
      await eventually(async () => ((await statusOf(replayId)) === 'DELIVERED' ? true : undefined), 20_000);
      const receipt = stack.erp.receipts().find((x) => x.messageId === replayId);
      expect(JSON.stringify(receipt)).to.contain(SECRETS.email).and.contain(SECRETS.phone);
      const [entry] = (await admin(`/audit?messageId=${id}`, viewerToken)).json.items as Record<string, unknown>[];
      expect(entry).to.deep.include({ actor: 'oncall-ann', role: 'operator', method: 'jwt', action: 'replay', reason: 'customer **** called', replayId });
    });

    it('an API-key operator replays an edit with real values: delivered as edited; the audit keeps a masked diff and the masked fields\' paths', async () => {
      const id = failed[1] as string;
      const payload = JSON.stringify({ customerId: `${tag}-1`, ...JSON.parse(customer(`${tag}-1`, SECRETS.newEmail)), name: 'Ada King' });
      const r = await admin(`/messages/${id}/replay`, { 'x-api-key': KEYS.opsBot }, { payload, reason: 'new address from the CRM' });
      expect(r.status, r.text).to.equal(202);
      const replayId = String(r.json.replayId);
      await eventually(async () => ((await statusOf(replayId)) === 'DELIVERED' ? true : undefined), 20_000);
      expect(JSON.stringify(stack.erp.receipts().find((x) => x.messageId === replayId))).to.contain(SECRETS.newEmail).and.contain('Ada King');
      const audit = r.json.audit as { actor: string; method: string; detail: { payloadDiff: string; maskedFieldsChanged: string[] } };
      expect(audit).to.deep.include({ actor: 'ops-bot', method: 'api-key' });
      expect(audit.detail.maskedFieldsChanged).to.deep.equal(['/email']);
      expect(audit.detail.payloadDiff).to.contain('+   "name": "Ada King"').and.contain('"email": "****"');
      const table = await auditTable(stack, sqliteFile);
      expect(table).to.contain('ops-bot').and.contain('oncall-ann').and.contain('Ada King');
      expectNoSecret(table, 'the audit table');
    });

    it('the CLI signs in with an API key; what it prints is masked', async () => {
      const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
        execFile(process.execPath, ['dist/src/cli/main.js', ...args], { env: { PATH: process.env.PATH, JUNCTION_URL: stack.base, JUNCTION_API_KEY: KEYS.opsBot }, timeout: 30_000 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
      });
      const shown = await run(['messages', 'show', String(failed[2]), '--payloads']);
      expect(shown.code, shown.stderr).to.equal(0);
      expect(shown.stdout).to.contain('"MAIL": "****"');
      expectNoSecret(shown.stdout, 'the CLI output');
      const audit = await run(['audit', '--message', String(failed[1])]);
      expect(audit.stdout).to.contain('ops-bot (operator, api-key)');
    });

    if (sqliteFile) {
      it('the console (headless Chromium) signs in with a JWT, shows no masked value, and refuses a replay of the masked payload', async () => {
        const browser: Browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
        try {
          const page = await browser.newPage();
          page.setDefaultTimeout(20_000);
          await page.goto(`${stack.base}/console/`);
          await page.getByTestId('token').fill(await jwt('oncall-ann', ['junction:operator']));
          await page.getByTestId('login').locator('button').click();
          await page.locator('#who').filter({ hasText: 'oncall-ann (operator, jwt)' }).waitFor();
          await page.goto(`${stack.base}/console/#/message/${failed[2]}`);
          await page.getByTestId('payload-original').waitFor();
          const seen = [await page.locator('main').textContent() ?? ''];
          for (const stage of ['step:crm-to-erp', 'deliver:erp-customers']) {
            await page.locator('tbody tr').filter({ hasText: stage }).first().click();
            seen.push(await page.locator('#panel').textContent() ?? '');
          }
          expect(seen.join('\n')).to.contain('"MAIL": "****"');
          await page.getByTestId('dry-run-original').click();
          await page.getByTestId('verdict').waitFor();
          seen.push(await page.locator('main').textContent() ?? '');
          for (const text of seen) expectNoSecret(text, 'the console');
          await page.getByTestId('replay').click();
          await page.locator('dialog').getByTestId('edit').check();
          await page.locator('dialog').getByTestId('reason').fill('fix from the console');
          await page.locator('dialog').getByTestId('confirm').click();
          await page.getByTestId('action-error').waitFor();
          expect(await page.getByTestId('action-error').textContent()).to.contain('JCT_REPLAY_PAYLOAD_MASKED').and.contain('/email');
          expect(await statusOf(failed[2] as string)).to.equal('FAILED');
        } finally {
          await browser.close();
        }
      });
    }
  });
}
