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
import { expectJunctionError, rejection } from '../contract/transaction-log.support';
import { requireEnv, uniqueName } from '../support/env';
import { MINIMAL_CONFIG, TempConfigDir } from '../support/temp-config';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/tls');
const CERT = readFileSync(path.join(FIXTURES, 'localhost.crt'), 'utf8');
const KEY = readFileSync(path.join(FIXTURES, 'localhost.key'), 'utf8');

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
  });
});
