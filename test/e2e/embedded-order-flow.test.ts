import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDemoStack, type DemoStack } from '../support/demo-stack';
import { expectAllDeliveredOnce, postOrdersConcurrently } from '../support/order-flow';

describe('order flow on the embedded default (SQLite file + in-process bus)', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'junction-embedded-'));
  let stack: DemoStack;

  before(async () => { stack = await startDemoStack({ servers: { sqliteFile: path.join(dir, 'junction.db') } }); });
  after(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers 200 concurrent orders exactly once each to the ERP (and the large ones to OA), all DELIVERED in SQLite', async () => {
    const ids = await postOrdersConcurrently(stack.base, 200, 'EMB');
    await expectAllDeliveredOnce(stack.app.log, 'submit-order', ids, stack);
  });
});
