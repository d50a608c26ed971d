import { expect } from 'chai';
import { buildApp, type JunctionApp } from '../../src/app';
import { silentLogger } from '../../src/core/logger';
import { loadConfig, type LoadedConfig } from '../../src/config/load-config';
import { OaSimulator } from '../../examples/legacy/oa/oa-simulator';
import { requireEnv, uniqueName } from '../support/env';
import { eventually, request } from '../support/http';
import { expectAllDeliveredOnce, postOrdersConcurrently } from '../support/order-flow';
import { dropStoreTables } from '../contract/transaction-log.support';
import { deleteTopology } from './bus/amqp-admin';

/** The demo configuration pointed at the real servers, with names no other test uses. */
function realConfig(oaUrl: string, tablePrefix: string, busPrefix: string): LoadedConfig {
  const loaded = loadConfig('config/default.yaml', {
    JUNCTION_DB_URL: requireEnv('JUNCTION_TEST_DB_URL'),
    JUNCTION_AMQP_URL: requireEnv('JUNCTION_TEST_AMQP_URL'),
    OA_REST_URL: `${oaUrl}/oa/approvals`,
  });
  const { config } = loaded;
  return { ...loaded, config: { ...config, store: { ...config.store, tablePrefix }, bus: { ...config.bus, prefix: busPrefix } } };
}

describe('order flow on RabbitMQ and MariaDB (integration)', function () {
  this.timeout(120_000);
  const tablePrefix = `${uniqueName('flow').toLowerCase().slice(0, 14)}_`;
  const busPrefix = uniqueName('flow');
  let oa: OaSimulator;
  let app: JunctionApp;
  let base: string;

  before(async () => {
    oa = new OaSimulator();
    const oaUrl = await oa.start();
    app = buildApp(realConfig(oaUrl, tablePrefix, busPrefix), { logger: silentLogger, port: 0 });
    base = await app.start();
  });

  after(async () => {
    await app?.close();
    await oa?.close();
    await dropStoreTables(requireEnv('JUNCTION_TEST_DB_URL'), tablePrefix);
    await deleteTopology(requireEnv('JUNCTION_TEST_AMQP_URL'), busPrefix, ['submit-order']);
  });

  it('delivers 200 concurrent orders exactly once each, all DELIVERED in MariaDB', async () => {
    const ids = await postOrdersConcurrently(base, 200, 'IT');
    await expectAllDeliveredOnce(app.log, 'submit-order', ids, oa);
  });

  it('shows the stage history of a delivered order over the REST API', async () => {
    const [id] = await postOrdersConcurrently(base, 1, 'HIST');
    const view = await eventually(async () => {
      const r = await request(`${base}/api/v1/messages/${id}`);
      return r.json.status === 'DELIVERED' ? r.json : undefined;
    });
    const stages = (view.stages as { stage: string }[]).map((s) => s.stage);
    expect(stages[0]).to.equal('received');
    expect(stages).to.include('deliver:oa-approvals');
  });

  it('records FAILED with the backend error when the backend refuses an order', async () => {
    oa.setBehaviour({ failStatus: 422 });
    try {
      const [id] = await postOrdersConcurrently(base, 1, 'REFUSED');
      const record = await eventually(async () => {
        const r = await app.log.load(String(id));
        return r?.status === 'FAILED' ? r : undefined;
      });
      expect(record.lastError?.code).to.equal('JCT_ENDPOINT_REJECTED');
      expect(record.stages.at(-1)).to.deep.include({ stage: 'deliver:oa-approvals', status: 'FAILED', endpoint: 'oa-approvals' });
    } finally {
      oa.setBehaviour({ failStatus: null });
    }
  });
});
