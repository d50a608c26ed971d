import { expect } from 'chai';
import { startDemoStack, type DemoStack } from '../support/demo-stack';
import { eventually, request } from '../support/http';
import { expectAllDeliveredOnce, postOrdersConcurrently } from '../support/order-flow';

describe('order flow on RabbitMQ and MariaDB (integration)', function () {
  this.timeout(120_000);
  let stack: DemoStack;

  before(async () => { stack = await startDemoStack({ servers: 'real' }); });
  after(async () => { await stack?.close(); });
  beforeEach(() => { stack.erp.reset(); stack.oa.reset(); });

  it('delivers 200 concurrent orders exactly once each to the ERP (and the large ones to OA), all DELIVERED in MariaDB', async () => {
    const ids = await postOrdersConcurrently(stack.base, 200, 'IT');
    await expectAllDeliveredOnce(stack.app.log, 'submit-order', ids, stack);
  });

  it('keeps every step\'s output in the stage history (capture: steps) and shows it over the REST API', async () => {
    const [id] = await postOrdersConcurrently(stack.base, 2, 'HIST').then((ids) => [ids[1]]); // the 1999.90 one
    const view = await eventually(async () => {
      const r = await request(`${stack.base}/api/v1/messages/${id}`);
      return r.json.status === 'DELIVERED' ? r.json : undefined;
    });
    const stages = (view.stages as { stage: string }[]).map((s) => s.stage);
    expect(stages[0]).to.equal('received');
    expect(stages).to.include.members(['route', 'step:erp-orders:order-to-erp', 'step:oa-approvals:approval-xml', 'deliver:erp-orders', 'deliver:oa-approvals', 'delivered']);
    const record = await stack.app.log.load(String(id));
    const xml = record?.stages.find((s) => s.stage === 'step:oa-approvals:approval-xml');
    expect(xml?.payload).to.contain('<approvalRequest>').and.contain('<amount>1999.90</amount>');
    expect(xml?.durationMs).to.be.a('number');
    const erp = record?.stages.find((s) => s.stage === 'step:erp-orders:order-to-erp');
    expect(JSON.parse(String(erp?.payload))).to.include({ ORDER_NO: 'HIST-1', CUST_NO: 'C-42' });
  });

  it('one failing recipient does not hold the other back, and the log shows which recipients were reached', async () => {
    stack.oa.setBehaviour({ failStatus: 422 });
    try {
      const ids = await postOrdersConcurrently(stack.base, 2, 'SPLIT');
      const large = String(ids[1]);
      const record = await eventually(async () => {
        const r = await stack.app.log.load(large);
        return r?.status === 'FAILED' ? r : undefined;
      });
      expect(record.lastError?.code).to.equal('JCT_ENDPOINT_REJECTED');
      expect(record.stages.at(-1)).to.deep.include({ stage: 'deliver:oa-approvals', status: 'FAILED', endpoint: 'oa-approvals' });
      expect(record.stages.some((s) => s.stage === 'deliver:erp-orders' && s.status === 'PROCESSING')).to.equal(true);
      expect(stack.erp.receipts().map((r) => r.messageId)).to.include(large);
    } finally {
      stack.oa.setBehaviour({ failStatus: null });
    }
  });
});
