import { expect } from 'chai';
import { buildApp, type JunctionApp } from '../../../src/app';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import { loadConfig } from '../../../src/config/load-config';
import { zeepCall } from '../../support/crm-clients';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { request } from '../../support/http';
import { TempConfigDir } from '../../support/temp-config';
import { ORDER_ROUTES_CONFIG, SOAP_SUBMIT_ORDER } from '../../support/tls-fixtures';

const ORDER = '{"orderId":"SO-1","customerId":"C-1","amount":"10.00","currency":"EUR","lines":[{"sku":"W-1","qty":1,"price":"10.00"}]}';
const SOAP_ORDER = SOAP_SUBMIT_ORDER;
const ENV = { ERP_PASSWORD: 'pä:ss wörd 1' };

function config(httpBasic: boolean): string {
  return `
security:
  auth: { mode: required, httpBasic: ${httpBasic} }
  clients:
    erp-batch: { username: erp, password: { env: ERP_PASSWORD }, routes: ["*"] }
admin:
  tokens: []
${ORDER_ROUTES_CONFIG}`;
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

describe('HTTP Basic for callers (security.auth.httpBasic)', () => {
  const dir = new TempConfigDir();
  const apps: JunctionApp[] = [];
  const start = async (httpBasic: boolean): Promise<string> => {
    const app = buildApp(loadConfig(dir.write(`basic-${httpBasic}.yaml`, config(httpBasic)), ENV), { logger: silentLogger, port: 0, log: new FakeTransactionLog(), broker: new MemoryBroker() });
    apps.push(app);
    return app.start();
  };
  // Secrets are read from the process's environment at boot.
  before(() => { process.env.ERP_PASSWORD = ENV.ERP_PASSWORD; process.env.CRM_KEY = 'k'.repeat(32); });
  afterEach(async () => { await Promise.all(apps.splice(0).map((a) => a.close())); });
  after(() => { delete process.env.ERP_PASSWORD; delete process.env.CRM_KEY; dir.remove(); });

  it('REST: the client\'s username and password name it; a wrong one is 401 and every 401 challenges with Basic', async () => {
    const base = await start(true);
    const post = (authorization?: string) => request(`${base}/api/v1/orders`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: ORDER,
    });
    expect((await post(basic('erp', ENV.ERP_PASSWORD))).status).to.equal(202);
    for (const wrong of [basic('erp', 'nope'), basic('nobody', ENV.ERP_PASSWORD), 'Basic !!!', undefined]) {
      const res = await post(wrong);
      expect(res.status, String(wrong)).to.equal(401);
      expect(res.headers.get('www-authenticate')).to.equal('Basic realm="junction", charset="UTF-8", Bearer, ApiKey');
    }
    expect((await post(basic('nobody', 'x'))).json.detail).to.equal('The Basic credentials\' username or password is wrong.');
  });

  it('SOAP: no credentials is HTTP 401 with the challenge and the fault; with Basic the call goes through (as WCF and JAX-WS do it)', async () => {
    const base = await start(true);
    const post = (authorization?: string) => request(`${base}/soap/crm`, {
      method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...(authorization ? { authorization } : {}) }, body: SOAP_ORDER,
    });
    const challenged = await post();
    expect(challenged.status).to.equal(401);
    expect(challenged.headers.get('www-authenticate')).to.equal('Basic realm="junction", charset="UTF-8"');
    expect(challenged.text).to.contain('<faultcode>soap:Client</faultcode>').and.contain('JCT_AUTH_REQUIRED');
    expect((await post(basic('erp', 'wrong'))).status).to.equal(401);
    expect((await post(basic('erp', ENV.ERP_PASSWORD))).status).to.equal(202);
  });

  it('an independent SOAP stack (python3-zeep with requests\' HTTPBasicAuth) gets through; with a wrong password it gets the fault', async () => {
    const base = await start(true);
    const order = { orderId: 'SO-Z', customerId: 'C-1', amount: '10.00', currency: 'EUR', lines: [{ sku: 'W-1', qty: 1, price: '10.00' }] };
    const ok = await zeepCall(`${base}/soap/crm?wsdl`, 'CrmSoap11Port', 'SubmitOrder', order, undefined, false, { username: 'erp', password: ENV.ERP_PASSWORD });
    expect(ok.ok, JSON.stringify(ok)).to.equal(true);
    const refused = await zeepCall(`${base}/soap/crm?wsdl`, 'CrmSoap12Port', 'SubmitOrder', order, undefined, false, { username: 'erp', password: 'wrong' });
    expect(refused.ok).to.equal(false);
    if (!refused.ok) expect(refused.message).to.contain('username or password is wrong');
  });

  it('off (the default): Basic credentials are refused saying so, and SOAP faults keep their usual status', async () => {
    const base = await start(false);
    const rest = await request(`${base}/api/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic('erp', ENV.ERP_PASSWORD) }, body: ORDER });
    expect(rest.status).to.equal(401);
    expect(String(rest.json.detail)).to.contain('HTTP Basic is not accepted here (security.auth.httpBasic is off)');
    expect(rest.headers.get('www-authenticate')).to.equal('Bearer, ApiKey');
    const soap = await request(`${base}/soap/crm`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' }, body: SOAP_ORDER });
    expect([soap.status, soap.headers.get('www-authenticate')]).to.deep.equal([500, null]);
  });

  it('the admin API does not take Basic credentials; boot refuses httpBasic without any username', async () => {
    const base = await start(true);
    const admin = await request(`${base}/admin/api/whoami`, { headers: { authorization: basic('erp', ENV.ERP_PASSWORD) } });
    expect(admin.status).to.equal(401);
    const nobody = config(true).replace('erp-batch: { username: erp, password: { env: ERP_PASSWORD }, routes: ["*"] }', 'crm: { apiKey: { env: CRM_KEY }, routes: ["*"] }');
    expect(() => buildApp(loadConfig(dir.write('nobody.yaml', nobody), { CRM_KEY: 'k'.repeat(32) }), { logger: silentLogger, port: 0, log: new FakeTransactionLog(), broker: new MemoryBroker() }))
      .to.throw(JunctionError, /security\.auth\.httpBasic is true but no client has a username and password/);
  });
});
