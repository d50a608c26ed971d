import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { expect } from 'chai';
import { buildApp, type JunctionApp } from '../../src/app';
import { AmqpBroker } from '../../src/bus/amqp/amqp-broker';
import { loadConfig } from '../../src/config/load-config';
import { silentLogger } from '../../src/core/logger';
import { TypeOrmTransactionLog } from '../../src/store/typeorm/typeorm-transaction-log';
import type { JunctionError } from '../../src/core/errors';
import { expectJunctionError, rejection } from '../contract/transaction-log.support';
import { MysqlTlsGreeter } from '../support/mysql-tls-greeter';
import { requireEnv, uniqueName } from '../support/env';
import { MINIMAL_CONFIG, TempConfigDir } from '../support/temp-config';
import { ORDER_ROUTES_CONFIG, serverTlsConfig, SOAP_SUBMIT_ORDER, tlsFixture, TLS_FIXTURES } from '../support/tls-fixtures';

const FIXTURES = TLS_FIXTURES;
const CERT = tlsFixture('localhost.crt');
const KEY = tlsFixture('localhost.key');

function getHttps(url: string, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https.get(url, { ...(ca ? { ca } : {}) }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
  });
}

describe('TLS: HTTPS gateways, TLS to RabbitMQ and MySQL', function () {
  this.timeout(30_000);

  describe('server.tls', () => {
    const dir = new TempConfigDir();
    let app: JunctionApp | undefined;
    after(async () => {
      await app?.close();
      dir.remove();
    });

    it('serves HTTPS with the certificate and key read from files; the key never appears in the configuration', async () => {
      const file = dir.write('junction.yaml', `server:\n  tls:\n    cert: { file: ${path.join(FIXTURES, 'localhost.crt')} }\n    key: { env: TLS_TEST_KEY }\nstore: { url: "sqlite::memory:" }\n${MINIMAL_CONFIG}`);
      process.env.TLS_TEST_KEY = KEY;
      try {
        app = buildApp(loadConfig(file, {}), { logger: silentLogger, port: 0 });
        const url = await app.start();
        expect(url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
        expect(await getHttps(`${url}/healthz`, CERT)).to.equal(200);
        const untrusted = await rejection(getHttps(`${url}/healthz`));
        expect(String(untrusted)).to.match(/self-signed|self signed/);
      } finally {
        delete process.env.TLS_TEST_KEY;
      }
    });

    it('refuses a secret written into the configuration in clear', () => {
      const file = dir.write('clear.yaml', `server:\n  tls:\n    cert: "-----BEGIN CERTIFICATE-----"\n    key: { file: k.pem }\n${MINIMAL_CONFIG}`);
      expect(() => loadConfig(file, {})).to.throw(/server\.tls\.cert: is a secret: write \{ env: VARIABLE \} or \{ file: path \}/);
    });
  });

  describe('client certificates name clients (security.clients.<name>.certificate)', () => {
    const dir = new TempConfigDir();
    const FIX = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');
    const API_KEY = 'k-'.repeat(12);
    let app: JunctionApp | undefined;
    let base = '';

    /** POSTs over HTTPS with an optional client certificate; the status and body. */
    const post = (url: string, body: string, headers: Record<string, string>, client?: string): Promise<{ status: number; text: string }> =>
      new Promise((resolve, reject) => {
        const req = https.request(url, {
          method: 'POST', ca: CERT, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          ...(client ? { cert: FIX(`client-${client}.crt`), key: FIX(`client-${client}.key`) } : {}),
          agent: false,
        }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => { text += chunk; });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const order = (client?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> =>
      post(`${base}/api/v1/orders`, '{"orderId":"SO-1"}', { 'content-type': 'application/json', ...headers }, client);
    const soapOrder = (client?: string): Promise<{ status: number; text: string }> => post(`${base}/soap/crm`,
      SOAP_SUBMIT_ORDER, { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:junction:crm:v1/SubmitOrder"' }, client);

    before(async () => {
      const file = dir.write('mtls.yaml', `${serverTlsConfig('request')}
store: { url: "sqlite::memory:" }
security:
  auth: { mode: required }
  clients:
    erp-batch: { certificate: { subject: "C=DE, O=ACME Corp, CN=erp-batch" }, routes: [orders, soap-orders] }
    reporting: { apiKey: { env: MTLS_TEST_KEY }, routes: [] }
${ORDER_ROUTES_CONFIG}`);
      process.env.MTLS_TEST_KEY = API_KEY;
      try {
        app = buildApp(loadConfig(file, {}), { logger: silentLogger, port: 0 });
        base = await app.start();
      } finally {
        delete process.env.MTLS_TEST_KEY;
      }
    });
    after(async () => {
      await app?.close();
      dir.remove();
    });

    it('a certificate from the trusted CA with a configured subject names its client, over REST and SOAP', async () => {
      const rest = await order('erp-batch');
      expect(rest.status, rest.text).to.equal(202);
      const soap = await soapOrder('erp-batch');
      expect(soap.status, soap.text).to.equal(202);
    });

    it('no certificate, one from the CA that names no client, or a self-signed one with the same subject: 401', async () => {
      for (const client of [undefined, 'stranger', 'rogue']) {
        const res = await order(client);
        expect(res.status, `${client}: ${res.text}`).to.equal(401);
        expect(res.text).to.contain('JCT_AUTH_REQUIRED');
      }
      const soap = await soapOrder('rogue');
      expect(soap.status).to.equal(500);
      expect(soap.text).to.contain('JCT_AUTH_REQUIRED');
    });

    it('an API key sent with a certificate decides who is calling', async () => {
      const res = await order('erp-batch', { 'x-api-key': API_KEY });
      expect(res.status, res.text).to.equal(403);
      expect(res.text).to.contain('reporting');
    });
  });

  describe('bus.tls (amqplib)', () => {
    let server: tls.Server;
    let port = 0;
    const received: string[] = [];
    before(async () => {
      server = tls.createServer({ cert: CERT, key: KEY }, (socket) => {
        socket.once('data', (data: Buffer) => { received.push(data.subarray(0, 4).toString('latin1')); socket.destroy(); });
      });
      server.on('tlsClientError', () => undefined);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(() => new Promise((resolve) => server.close(resolve)));

    it('speaks AMQP inside TLS, trusting the configured CA; without it the handshake fails', async () => {
      const trusting = new AmqpBroker({ url: `amqps://guest:guest@127.0.0.1:${port}/`, prefix: uniqueName('tls'), connectTimeoutMs: 2000, tls: { ca: CERT, servername: 'localhost', rejectUnauthorized: true } });
      await rejection(trusting.start());
      await trusting.close().catch(() => undefined);
      expect(received).to.deep.equal(['AMQP']);
      const doubting = new AmqpBroker({ url: `amqps://guest:guest@127.0.0.1:${port}/`, prefix: uniqueName('tls'), connectTimeoutMs: 2000, tls: { rejectUnauthorized: true } });
      const error = await rejection(doubting.start());
      await doubting.close().catch(() => undefined);
      expect(String((error as Error).message)).to.match(/self-signed|self signed|certificate/i);
      expect(received).to.have.length(1);
    });
  });

  describe('store.tls (mysql2)', () => {
    it('insists on TLS when asked: a server without TLS is refused, not used in clear', async () => {
      const log = new TypeOrmTransactionLog({ url: requireEnv('JUNCTION_TEST_DB_URL'), tablePrefix: `${uniqueName('tls')}_`.slice(0, 16), tls: { rejectUnauthorized: true }, connectTimeoutMs: 3000 });
      const error = expectJunctionError(await rejection(log.start()), 'JCT_STORE_UNAVAILABLE');
      expect(error.message).to.match(/SSL|TLS|secure/i);
      await log.close();
    });

    // mysql2 reports every failed handshake as HANDSHAKE_SSL_ERROR; the store reads the certificate
    // check behind it as the endpoints and the JWKS fetch do, pointing at store.tls.
    const failedStart = async (identity: { cert: string; key: string }, tlsOptions: { ca?: string; rejectUnauthorized: boolean }, host = '127.0.0.1'): Promise<JunctionError & { handshakes: number }> => {
      const greeter = new MysqlTlsGreeter(identity);
      const port = await greeter.start();
      const log = new TypeOrmTransactionLog({ url: `mysql://junction:secret@${host}:${port}/junction`, tablePrefix: 'tls_', tls: tlsOptions, connectTimeoutMs: 3000 });
      try {
        const error = expectJunctionError(await rejection(log.start()), 'JCT_STORE_UNAVAILABLE');
        return Object.assign(error, { handshakes: greeter.handshakes });
      } finally {
        await log.close().catch(() => undefined);
        await greeter.close();
      }
    };

    it('a server certificate no CA vouches for: not trusted, give the CA in store.tls.ca', async () => {
      const error = await failedStart({ cert: CERT, key: KEY }, { rejectUnauthorized: true });
      expect(error.message).to.match(/unavailable: TLS: the server's certificate is not trusted; give the CA that signed it in store\.tls\.ca \(DEPTH_ZERO_SELF_SIGNED_CERT\)\.$/);
      expect(error.details).to.include({ driverCode: 'HANDSHAKE_SSL_ERROR', tls: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    });

    it('an expired server certificate from the trusted CA: not valid now (before: an unmapped driver error)', async () => {
      const error = await failedStart({ cert: tlsFixture('localhost-expired.crt'), key: tlsFixture('localhost-expired.key') }, { ca: tlsFixture('clients-ca.crt'), rejectUnauthorized: true });
      expect(error.message).to.match(/unavailable: TLS: the server's certificate is not valid now \(expired, or not yet valid\) \(CERT_HAS_EXPIRED\)\.$/);
      expect(error.details).to.include({ driverCode: 'HANDSHAKE_SSL_ERROR', tls: 'CERT_HAS_EXPIRED' });
    });

    // mysql2 checks the host name only when asked (ssl.verifyIdentity); the store always asks.
    it('a certificate a trusted CA issued for another host is refused, by host name and by IP address', async () => {
      const erpBatch = { cert: tlsFixture('client-erp-batch.crt'), key: tlsFixture('client-erp-batch.key') };
      for (const host of ['localhost', '127.0.0.1']) {
        const error = await failedStart(erpBatch, { ca: tlsFixture('clients-ca.crt'), rejectUnauthorized: true }, host);
        expect(error.message, host).to.match(/TLS: the server's certificate is not issued for the host/);
        expect(error.handshakes, host).to.equal(0);
      }
    });

    it('a certificate for the host in store.url, from a trusted CA, is taken (by name and by IP address)', async () => {
      for (const host of ['localhost', '127.0.0.1']) {
        // The greeter says nothing after the handshake: the start fails on the timeout, after TLS.
        const error = await failedStart({ cert: CERT, key: KEY }, { ca: CERT, rejectUnauthorized: true }, host);
        expect(error.handshakes, host).to.equal(1);
        expect(error.details?.['tls'], host).to.equal(undefined);
      }
    });

    it('store.tls.servername is refused at start: the driver would ignore it', () => {
      const dir = new TempConfigDir();
      try {
        const file = dir.write('junction.yaml', `store:
  url: mysql://junction:secret@10.0.0.5:3306/junction
  tls: { servername: db.internal }
${MINIMAL_CONFIG}`);
        let thrown: unknown;
        try {
          buildApp(loadConfig(file, {}), { logger: silentLogger, port: 0 });
        } catch (error) {
          thrown = error;
        }
        const error = expectJunctionError(thrown, 'JCT_CONFIG_INVALID');
        expect(error.message).to.contain(`${file}:3:`).and.contain('store.tls.servername').and.contain('checks the server\'s certificate against the host of store.url');
      } finally {
        dir.remove();
      }
    });
  });
});
