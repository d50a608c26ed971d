import { createHash } from 'node:crypto';
import https from 'node:https';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { buildApp, type JunctionApp } from '../../../src/app';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { BufferedIo } from '../../../src/cli/cli-io';
import { runCli } from '../../../src/cli/program';
import { loadConfig } from '../../../src/config/load-config';
import { createEnvelope } from '../../../src/core/envelope';
import { silentLogger } from '../../../src/core/logger';
import { TempConfigDir } from '../../support/temp-config';
import { serverTlsConfig, tlsFixture, TLS_FIXTURES } from '../../support/tls-fixtures';

const FIXTURES = TLS_FIXTURES;
const fixture = tlsFixture;
const KEYS = { crm: 'crm-key-0123456789abcdef', opsBot: 'ops-bot-key-0123456789abcdef' };
const ROOT_TOKEN = 'root-token-0123456789abcdef';

interface Answer { status: number; json: Record<string, unknown>; challenge?: string }

/**
 * Junction over HTTPS with `clientCertificates: request`, the embedded store (SQLite, in a temp
 * directory) and these callers: erp-batch (known by its certificate, junction:operator), stranger
 * (known by its certificate, no admin role), crm (API key, no admin role), ops-bot (API key,
 * junction:viewer) and the admin token of root.
 */
function config(dir: TempConfigDir): string {
  const crmKey = dir.write('crm.key', KEYS.crm);
  const opsKey = dir.write('ops-bot.key', KEYS.opsBot);
  return `${serverTlsConfig('request')}
store: { url: "sqlite:${path.join(dir.dir, 'junction.db')}" }
security:
  auth: { mode: required }
  clients:
    erp-batch: { certificate: { subject: "CN=erp-batch, O=ACME Corp, C=DE" }, routes: ["*"], roles: [junction:operator] }
    stranger: { certificate: { subject: "CN=stranger, O=ACME Corp, C=DE" }, routes: ["*"] }
    crm: { apiKey: { file: ${crmKey} }, routes: ["*"] }
    ops-bot: { apiKey: { file: ${opsKey} }, routes: [], roles: [junction:viewer] }
admin:
  tokens:
    - { name: root, role: admin, sha256: ${createHash('sha256').update(ROOT_TOKEN).digest('hex')} }
retention: { enabled: false }
endpoints:
  oa: { type: http, url: "http://127.0.0.1:9/oa" }
routes:
  - id: orders
    entry: { rest: { method: POST, path: /orders } }
    to: [oa]
`;
}

describe('admin API with TLS client certificates (real HTTPS, embedded store)', function () {
  this.timeout(30_000);
  const dir = new TempConfigDir();
  let app: JunctionApp;
  let base = '';

  /** Calls the admin API over HTTPS, presenting `client-<client>.crt` when a client is given. */
  function call(route: string, options: { client?: string; headers?: Record<string, string>; method?: string; body?: unknown } = {}): Promise<Answer> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    return new Promise((resolve, reject) => {
      const req = https.request(`${base}/admin/api${route}`, {
        method: options.method ?? 'GET', ca: fixture('localhost.crt'), agent: false,
        ...(options.client ? { cert: fixture(`client-${options.client}.crt`), key: fixture(`client-${options.client}.key`) } : {}),
        headers: { ...options.headers, ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}) },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => { text += chunk; });
        res.on('end', () => resolve({
          status: res.statusCode ?? 0, json: text === '' ? {} : JSON.parse(text) as Record<string, unknown>,
          ...(res.headers['www-authenticate'] ? { challenge: res.headers['www-authenticate'] } : {}),
        }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** The audit table's rows, read from the SQLite file itself. */
  function auditRows(): { actor: string; role: string; auth_method: string | null; action: string }[] {
    const db = new Database(path.join(dir.dir, 'junction.db'), { readonly: true });
    try {
      return db.prepare('SELECT actor, role, auth_method, action FROM jct_audit ORDER BY seq').all() as { actor: string; role: string; auth_method: string | null; action: string }[];
    } finally {
      db.close();
    }
  }

  /** An order the OA system refused: an unresolved FAILED message for a bulk replay to take (one that matches nothing is refused). */
  async function failedOrder(): Promise<void> {
    const order = createEnvelope({ routeId: 'orders', pattern: 'one-way', source: 'rest:POST /api/v1/orders', contentType: 'application/json', body: '{"orderId":"SO-1"}' });
    await app.log.recordReceived(order);
    await app.log.transition(order.id, { stage: 'deliver:oa', status: 'FAILED', attempt: 1, endpoint: 'oa', error: { code: 'JCT_ENDPOINT_REJECTED', message: 'refused', retryable: false } });
  }

  before(async () => {
    app = buildApp(loadConfig(dir.write('junction.yaml', config(dir)), {}), { logger: silentLogger, port: 0, broker: new MemoryBroker() });
    base = await app.start();
  });
  after(async () => {
    await app.close();
    dir.remove();
  });

  it('a certificate that names a client with an admin role is enough: whoami says so, and a bulk replay is audited as "certificate"', async () => {
    const who = await call('/whoami', { client: 'erp-batch' });
    expect(who.status, JSON.stringify(who.json)).to.equal(200);
    expect(who.json).to.deep.equal({ name: 'erp-batch', role: 'operator', method: 'certificate' });

    await failedOrder();
    const job = await call('/replay-jobs', { client: 'erp-batch', method: 'POST', body: { filter: { routeId: 'orders' }, reason: 'nightly replay of failed orders' } });
    expect(job.status, JSON.stringify(job.json)).to.equal(201);
    // The job's own replays are audited too, as method "replay-job", as soon as its runner gets to them.
    expect(auditRows().filter((r) => r.action === 'replay-job.create')).to.deep.equal([{ actor: 'erp-batch', role: 'operator', auth_method: 'certificate', action: 'replay-job.create' }]);
    const audit = await call('/audit?action=replay-job.create', { client: 'erp-batch' });
    expect(audit.status).to.equal(200);
    expect((audit.json.items as { actor: string; method: string }[]).map((a) => [a.actor, a.method])).to.deep.equal([['erp-batch', 'certificate']]);
  });

  it('a certificate client without an admin role: 403 JCT_ADMIN_FORBIDDEN, like an API-key client without one', async () => {
    const stranger = await call('/whoami', { client: 'stranger' });
    expect([stranger.status, stranger.json.code]).to.deep.equal([403, 'JCT_ADMIN_FORBIDDEN']);
    expect(String(stranger.json.detail)).to.contain('"stranger" (by its TLS certificate) holds no admin role');
    expect(stranger.challenge).to.equal(undefined);
    const crm = await call('/whoami', { headers: { 'x-api-key': KEYS.crm } });
    expect([crm.status, crm.json.code]).to.deep.equal([403, 'JCT_ADMIN_FORBIDDEN']);
  });

  it('a certificate of the CA that names no client, a self-signed one with erp-batch\'s subject, or none: 401 as for no credentials', async () => {
    for (const client of ['leaver', 'rogue', undefined]) {
      const answer = await call('/whoami', client ? { client } : {});
      expect([answer.status, answer.json.code], String(client)).to.deep.equal([401, 'JCT_ADMIN_UNAUTHENTICATED']);
      expect(String(answer.json.detail)).to.contain('needs credentials').and.contain('TLS client certificate');
      expect(answer.challenge).to.equal('Bearer realm="junction-admin", ApiKey realm="junction-admin"');
    }
    expect(auditRows().every((r) => r.actor === 'erp-batch')).to.equal(true);
  });

  it('an API key or a token sent with a certificate decides who is calling, as on the gateways', async () => {
    const viewerKey = await call('/whoami', { client: 'stranger', headers: { 'x-api-key': KEYS.opsBot } });
    expect([viewerKey.status, viewerKey.json]).to.deep.equal([200, { name: 'ops-bot', role: 'viewer', method: 'api-key' }]);
    const noRoleKey = await call('/whoami', { client: 'erp-batch', headers: { 'x-api-key': KEYS.crm } });
    expect([noRoleKey.status, noRoleKey.json.code]).to.deep.equal([403, 'JCT_ADMIN_FORBIDDEN']);
    expect(String(noRoleKey.json.detail)).to.contain('Client "crm" holds no admin role');
    const badKey = await call('/whoami', { client: 'erp-batch', headers: { 'x-api-key': 'guessed-key-0123456789' } });
    expect([badKey.status, badKey.json.code]).to.deep.equal([401, 'JCT_ADMIN_UNAUTHENTICATED']);
    const token = await call('/whoami', { client: 'stranger', headers: { authorization: `Bearer ${ROOT_TOKEN}` } });
    expect([token.status, token.json]).to.deep.equal([200, { name: 'root', role: 'admin', method: 'admin-token' }]);
    const badToken = await call('/whoami', { client: 'erp-batch', headers: { authorization: 'Bearer not-a-token-at-all' } });
    expect([badToken.status, badToken.json.code]).to.deep.equal([401, 'JCT_ADMIN_UNAUTHENTICATED']);
  });

  describe('junction CLI with --cert / --key / --ca', () => {
    const tls = (client: string): string[] => ['--url', base, '--cert', path.join(FIXTURES, `client-${client}.crt`), '--key', path.join(FIXTURES, `client-${client}.key`)];
    const ca = ['--ca', path.join(FIXTURES, 'localhost.crt')];
    const env = { ...process.env };
    before(() => { for (const name of ['JUNCTION_TOKEN', 'JUNCTION_API_KEY', 'JUNCTION_CERT', 'JUNCTION_KEY', 'JUNCTION_CA']) delete process.env[name]; });
    after(() => { process.env = env; });

    it('starts a bulk replay with the certificate alone (the cron job\'s way); the audit trail says "certificate"', async () => {
      await failedOrder();
      const io = new BufferedIo();
      const code = await runCli(['replay', '--route', 'orders', '--status', 'FAILED', '--reason', 'cron: replay FAILED orders', '--no-wait', ...tls('erp-batch'), ...ca], io);
      expect(code, io.stderr).to.equal(0);
      const rows = auditRows().filter((r) => r.action === 'replay-job.create');
      expect(rows.at(-1)).to.deep.equal({ actor: 'erp-batch', role: 'operator', auth_method: 'certificate', action: 'replay-job.create' });
      const audit = new BufferedIo();
      expect(await runCli(['audit', '--json', '--action', 'replay-job.create', ...tls('erp-batch'), ...ca], audit), audit.stderr).to.equal(0);
      const items = (JSON.parse(audit.stdout) as { items: { actor: string; method: string; reason: string }[] }).items;
      expect(items[0]).to.deep.include({ actor: 'erp-batch', method: 'certificate', reason: 'cron: replay FAILED orders' });
    });

    it('a certificate client without an admin role exits 3 with the API\'s 403; an untrusted server certificate says to give --ca', async () => {
      const forbidden = new BufferedIo();
      expect(await runCli(['audit', ...tls('stranger'), ...ca], forbidden)).to.equal(3);
      expect(forbidden.stderr).to.contain('JCT_ADMIN_FORBIDDEN');
      const untrusted = new BufferedIo();
      expect(await runCli(['audit', ...tls('erp-batch')], untrusted)).to.equal(5);
      expect(untrusted.stderr).to.contain('--ca');
    });

    it('refuses a certificate without its key, TLS options with an http URL, and an unreadable file, as usage errors (exit 2)', async () => {
      const cases: [string[], RegExp][] = [
        [['--url', base, '--cert', path.join(FIXTURES, 'client-erp-batch.crt')], /--cert and --key/],
        [['--url', 'http://127.0.0.1:8080', ...tls('erp-batch').slice(2)], /https:\/\/ URL/],
        [['--url', base, '--cert', path.join(FIXTURES, 'nowhere.crt'), '--key', path.join(FIXTURES, 'client-erp-batch.key')], /nowhere\.crt cannot be read/],
      ];
      for (const [argv, message] of cases) {
        const io = new BufferedIo();
        expect(await runCli(['audit', ...argv], io), argv.join(' ')).to.equal(2);
        expect(io.stderr).to.match(message);
      }
    });
  });
});
