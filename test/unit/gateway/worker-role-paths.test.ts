import { expect } from 'chai';
import { buildApp, type JunctionApp } from '../../../src/app';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { loadConfig } from '../../../src/config/load-config';
import { silentLogger } from '../../../src/core/logger';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { request } from '../../support/http';
import { MINIMAL_CONFIG, TempConfigDir } from '../../support/temp-config';

describe('a --role worker process asked for what only gateways serve (src/app)', () => {
  const temp = new TempConfigDir();
  let app: JunctionApp;
  let base: string;

  before(async () => {
    const file = temp.write('junction.yaml', `${MINIMAL_CONFIG}retention: { enabled: false }\n`);
    app = buildApp(loadConfig(file, {}), {
      role: 'worker', logger: silentLogger, port: 0, log: new FakeTransactionLog(), broker: new MemoryBroker({ requeueDelayMs: 10 }),
    });
    base = await app.start();
  });
  after(async () => {
    await app.close();
    temp.remove();
  });

  for (const [method, path] of [['GET', '/admin/api/messages?status=FAILED'], ['POST', '/api/v1/orders'], ['GET', '/console/']]) {
    it(`${method} ${path} is 404 saying the process is a worker and where to go instead`, async () => {
      const answer = await request(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect(answer.status, answer.text).to.equal(404);
      expect(answer.json.code).to.equal('JCT_NOT_FOUND');
      expect(String(answer.json.detail)).to.contain(`${method} ${path.split('?')[0]} here`).and.contain('--role worker').and.contain('role gateway or all');
    });
  }

  it('still serves its probes, and other unknown paths get the plain 404', async () => {
    expect((await request(`${base}/healthz`)).status).to.equal(200);
    const other = await request(`${base}/nothing-here`);
    expect(other.status).to.equal(404);
    expect(String(other.json.detail)).to.equal('Nothing is served at GET /nothing-here.');
  });
});
