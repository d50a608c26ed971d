import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp, type JunctionApp } from '../../src/app';
import { silentLogger } from '../../src/core/logger';
import { loadConfig } from '../../src/config/load-config';
import { OaSimulator } from '../../examples/legacy/oa/oa-simulator';
import { expectAllDeliveredOnce, postOrdersConcurrently } from '../support/order-flow';

describe('order flow on the embedded default (SQLite file + in-process bus)', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'junction-embedded-'));
  let oa: OaSimulator;
  let app: JunctionApp;
  let base: string;

  before(async () => {
    oa = new OaSimulator();
    const oaUrl = await oa.start();
    const loaded = loadConfig('config/default.yaml', {
      JUNCTION_DB_URL: `sqlite:${path.join(dir, 'junction.db')}`,
      OA_REST_URL: `${oaUrl}/oa/approvals`,
    });
    app = buildApp(loaded, { logger: silentLogger, port: 0 });
    base = await app.start();
  });

  after(async () => {
    await app?.close();
    await oa?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers 200 concurrent orders exactly once each, all DELIVERED in SQLite', async () => {
    const ids = await postOrdersConcurrently(base, 200, 'EMB');
    await expectAllDeliveredOnce(app.log, 'submit-order', ids, oa);
  });
});
