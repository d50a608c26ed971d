import { createPrivateKey } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { expect } from 'chai';
import { buildApp, type JunctionApp } from '../../../src/app';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { JunctionError } from '../../../src/core/errors';
import { loadConfig } from '../../../src/config/load-config';
import { RecordingLogger } from '../../integration/bus/recording-logger';
import { buildCrl } from '../../support/crl-builder';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { eventually } from '../../support/http';
import { TempConfigDir } from '../../support/temp-config';
import { ORDER_ROUTES_CONFIG, serverTlsConfig, SOAP_SUBMIT_ORDER, tlsFixture, TLS_FIXTURES } from '../../support/tls-fixtures';

const FIXTURES = TLS_FIXTURES;
const fixture = tlsFixture;
const SERVER_CERT = fixture('localhost.crt');

type Outcome = { status: number; text: string } | { refused: string };

/** POSTs over HTTPS presenting `client-<client>.crt`; a handshake the server refuses is `{ refused }`. */
function post(url: string, body: string, headers: Record<string, string>, client: string, agent: https.Agent | false = false): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = https.request(url, {
      method: 'POST', ca: SERVER_CERT, cert: fixture(`client-${client}.crt`), key: fixture(`client-${client}.key`), agent,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ refused: error.code ?? error.message }));
    req.end(body);
  });
}

const SOAP_ORDER = SOAP_SUBMIT_ORDER;

function config(crl: string, clientCertificates: 'none' | 'request' | 'require', extra = '', clients = true): string {
  return `${serverTlsConfig(clientCertificates, `    crl: ${crl}`)}
${extra}
${clients ? `security:
  auth: { mode: required }
  clients:
    erp-batch: { certificate: { subject: "CN=erp-batch, O=ACME Corp, C=DE" }, routes: ["*"] }
    leaver: { certificate: { subject: "CN=leaver, O=ACME Corp, C=DE" }, routes: ["*"] }` : ''}
${ORDER_ROUTES_CONFIG}`;
}

describe('Certificate revocation over real HTTPS (server.tls.crl)', function () {
  this.timeout(30_000);
  const dir = new TempConfigDir();
  let app: JunctionApp | undefined;
  let logger: RecordingLogger;
  let base = '';

  async function start(yaml: string): Promise<void> {
    logger = new RecordingLogger();
    app = buildApp(loadConfig(dir.write(`junction-${Date.now()}.yaml`, yaml), {}), { logger, port: 0, log: new FakeTransactionLog(), broker: new MemoryBroker() });
    base = await app.start();
  }
  const order = (client: string, agent?: https.Agent): Promise<Outcome> => post(`${base}/api/v1/orders`, '{"orderId":"SO-1"}', { 'content-type': 'application/json' }, client, agent);
  const soapOrder = (client: string): Promise<Outcome> => post(`${base}/soap/crm`, SOAP_ORDER, { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:junction:crm:v1/SubmitOrder"' }, client);

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  after(() => dir.remove());

  describe('clientCertificates: require', () => {
    it('refuses the revoked certificate in the handshake and logs why; another certificate of the CA gets in', async () => {
      await start(config(`{ file: ${path.join(FIXTURES, 'clients-ca-leaver.crl.pem')} }`, 'require'));
      const accepted = await order('erp-batch');
      expect(accepted).to.deep.include({ status: 202 });
      const refused = await order('leaver');
      expect(refused).to.have.property('refused');
      await eventually(async () => logger.lines.find((l) => l.message.startsWith('TLS client certificate refused') && l.fields.reason === 'CERT_REVOKED'));
    });

    it('with a CRL that revokes nothing, the same certificate gets in (the refusal above is the CRL\'s doing)', async () => {
      await start(config(`[{ file: ${path.join(FIXTURES, 'clients-ca-none.crl.pem')} }]`, 'require'));
      expect(await order('leaver')).to.deep.include({ status: 202 });
      expect(await soapOrder('leaver')).to.deep.include({ status: 202 });
    });

    it('an expired CRL: Junction starts, logs an error at boot, and every certificate of its CA is refused (CRL_HAS_EXPIRED)', async () => {
      await start(config(`{ file: ${path.join(FIXTURES, 'clients-ca-expired.crl.pem')} }`, 'require'));
      const boot = logger.lines.find((l) => l.level === 'error' && l.message.includes('expired at'));
      expect(boot?.message).to.contain('clients-ca-expired.crl.pem');
      expect(await order('erp-batch')).to.have.property('refused');
      await eventually(async () => logger.lines.find((l) => l.fields.reason === 'CRL_HAS_EXPIRED'));
    });
  });

  describe('clientCertificates: request', () => {
    it('a revoked certificate names no client over REST and SOAP (401 / fault JCT_AUTH_REQUIRED); the other one still does', async () => {
      await start(config(`{ file: ${path.join(FIXTURES, 'clients-ca-leaver.crl.pem')} }`, 'request'));
      const rest = await order('leaver');
      expect(rest).to.deep.include({ status: 401 });
      expect((rest as { text: string }).text).to.contain('JCT_AUTH_REQUIRED');
      const soap = await soapOrder('leaver');
      expect(soap).to.deep.include({ status: 500 });
      expect((soap as { text: string }).text).to.contain('JCT_AUTH_REQUIRED');
      expect(await order('erp-batch')).to.deep.include({ status: 202 });
      expect(await soapOrder('erp-batch')).to.deep.include({ status: 202 });
      expect(logger.lines.some((l) => l.message.startsWith('TLS client certificate not verified') && l.fields.reason === 'CERT_REVOKED')).to.equal(true);
    });
  });

  describe('reload without restart', () => {
    it('a CRL published by rename is put into force: the revoked client is refused, its open keep-alive connection closed; a bad file after it keeps it', async () => {
      const live = dir.write('live/clients.crl.pem', fixture('clients-ca-none.crl.pem'));
      const publish = (content: string): void => {
        writeFileSync(`${live}.tmp`, content);
        renameSync(`${live}.tmp`, live);
      };
      await start(config(`{ file: live/clients.crl.pem }`, 'require', '    crlReloadSeconds: 1'));
      const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        expect(await order('leaver', keepAlive)).to.deep.include({ status: 202 });
        const sockets = (): number => Object.values(keepAlive.freeSockets).reduce((n, list) => n + (list?.length ?? 0), 0);
        expect(sockets()).to.equal(1);

        publish(fixture('clients-ca-leaver.crl.pem'));
        await eventually(async () => logger.lines.find((l) => l.message === 'server.tls.crl: new CRLs in force'), 10_000);
        // The connection verified under the old CRL is closed; the client's next attempt handshakes again and is
        // refused, although the agent offers the TLS session it cached (https.Agent keeps 100): no resumption past a reload.
        await eventually(async () => (sockets() === 0 ? true : undefined), 10_000);
        expect(await order('leaver', keepAlive)).to.have.property('refused');
        expect(await order('erp-batch')).to.deep.include({ status: 202 });

        publish('this is not a CRL\n');
        const refusedReload = await eventually(async () => logger.lines.find((l) => l.level === 'error' && l.message.includes('not a PEM certificate revocation list')), 10_000);
        expect(refusedReload.message).to.contain('stay in force');
        expect(await order('leaver')).to.have.property('refused');
        expect(await order('erp-batch')).to.deep.include({ status: 202 });
      } finally {
        keepAlive.destroy();
      }
    });
  });

  describe('rollback: an older CRL never replaces the one in force', () => {
    it('the CA\'s older CRL copied back over the file is refused and logged; the revoked client stays refused in the handshake', async () => {
      const live = dir.write('rollback/clients.crl.pem', fixture('clients-ca-leaver.crl.pem'));
      await start(config('{ file: rollback/clients.crl.pem }', 'require', '    crlReloadSeconds: 1'));
      expect(await order('leaver')).to.have.property('refused');
      // CRL number 1, which revoked nothing yet, put back over CRL number 3.
      writeFileSync(`${live}.tmp`, fixture('clients-ca-none.crl.pem'));
      renameSync(`${live}.tmp`, live);
      const refused = await eventually(async () => logger.lines.find((l) => l.level === 'error' && l.message.includes('older than the one in force')), 10_000);
      expect(refused.message).to.contain(live).and.contain('CRL number 1, thisUpdate').and.contain('CRL number 3, thisUpdate').and.contain('the CRLs in force stay');
      expect(logger.lines.some((l) => l.message === 'server.tls.crl: new CRLs in force')).to.equal(false);
      expect(await order('leaver')).to.have.property('refused');
      expect(await order('erp-batch')).to.deep.include({ status: 202 });
    });
  });

  describe('boot checks', () => {
    const boot = (yaml: string): JunctionError => {
      try {
        buildApp(loadConfig(dir.write('boot.yaml', yaml), {}), { logger: new RecordingLogger(), port: 0, log: new FakeTransactionLog(), broker: new MemoryBroker() });
      } catch (error) {
        expect(error).to.be.instanceOf(JunctionError);
        return error as JunctionError;
      }
      throw new Error('Junction started');
    };

    it('a missing CRL file, or a file that is not a CRL, refuses to start naming the file and the path', () => {
      const missing = boot(config('[{ file: nowhere.crl.pem }]', 'require'));
      expect(missing.code).to.equal('JCT_CONFIG_REFERENCE');
      expect(missing.message).to.contain('server.tls.crl[0]').and.contain(path.join(dir.dir, 'nowhere.crl.pem'));
      const certificate = boot(config(`{ file: ${path.join(FIXTURES, 'clients-ca.crt')} }`, 'require'));
      expect(certificate.code).to.equal('JCT_CONFIG_REFERENCE');
      expect(certificate.message).to.match(/server\.tls\.crl: the file .*clients-ca\.crt is not a PEM certificate revocation list/);
    });

    it('a CRL of the CA that its key did not sign, or a delta CRL, refuses to start naming the file', () => {
      const forged = dir.write('forged.crl.pem', buildCrl({ thisUpdate: new Date(), number: 9n, key: createPrivateKey(fixture('client-erp-batch.key')) }));
      const bad = boot(config(`{ file: ${forged} }`, 'require'));
      expect(bad.code).to.equal('JCT_CONFIG_REFERENCE');
      expect(bad.message).to.contain('server.tls.crl').and.contain(forged).and.contain('CRL_SIGNATURE_FAILURE');
      const delta = dir.write('delta.crl.pem', buildCrl({ thisUpdate: new Date(), number: 9n, deltaOf: 8n }));
      expect(boot(config(`{ file: ${delta} }`, 'require')).message).to.contain(delta).and.contain('delta CRL');
    });

    it('CRLs without client certificates to check are a configuration error', () => {
      const crl = `{ file: ${path.join(FIXTURES, 'clients-ca-none.crl.pem')} }`;
      const none = boot(config(crl, 'none', '', false));
      expect(none.code).to.equal('JCT_CONFIG_INVALID');
      expect(none.message).to.contain('server.tls.crl').and.contain('clientCertificates');
      const noCa = boot(config(crl, 'request').replace(/    ca: .*\n/, ''));
      expect(noCa.code).to.equal('JCT_CONFIG_INVALID');
      expect(noCa.message).to.contain('server.tls.ca');
    });

    it('the schema refuses a CRL written as a path string or a secret reference', () => {
      expect(() => loadConfig(dir.write('string.yaml', config('clients.crl.pem', 'require')), {})).to.throw(JunctionError, /server\.tls\.crl/);
      expect(() => loadConfig(dir.write('env.yaml', config('{ env: CRL }', 'require')), {})).to.throw(JunctionError, /server\.tls\.crl/);
    });
  });
});
