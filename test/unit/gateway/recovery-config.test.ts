import { expect } from 'chai';
import { buildApp, type JunctionApp } from '../../../src/app';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { loadConfig } from '../../../src/config/load-config';
import { createEnvelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { eventually } from '../../support/http';
import { TempConfigDir } from '../../support/temp-config';

const CONFIG = `
endpoints:
  oa: { type: http, url: "http://127.0.0.1:9/oa" }
routes:
  - id: orders
    entry: { rest: { method: POST, path: /orders } }
    to: [oa]
`;

/** `recovery` in the configuration: the sweep of a running process runs on its interval and grace. */
describe('recovery: the sweep\'s settings', () => {
  let temp: TempConfigDir;
  let app: JunctionApp | undefined;
  beforeEach(() => { temp = new TempConfigDir(); });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    temp.remove();
  });

  it('defaults to a round every 10 s, a 30 s grace and 100 messages', () => {
    expect(loadConfig(temp.write('junction.yaml', CONFIG), {}).config.recovery).to.deep.equal({ intervalMs: 10000, graceMs: 30000, batchSize: 100 });
  });

  it('refuses values out of range, naming the option', () => {
    let error: unknown;
    try {
      loadConfig(temp.write('junction.yaml', `${CONFIG}recovery: { intervalMs: 10, graceMs: 0, batchSize: 5000 }\n`), {});
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(JunctionError);
    const text = (error as JunctionError).message;
    for (const option of ['recovery.intervalMs', 'recovery.graceMs', 'recovery.batchSize']) expect(text).to.contain(option);
  });

  it('a process configured with a 1 s interval and grace publishes a stranded message within seconds', async () => {
    const log = new FakeTransactionLog();
    const stranded = createEnvelope({ routeId: 'orders', pattern: 'one-way', source: 'test', contentType: 'application/json', body: '{}' }, new Date(Date.now() - 5_000));
    await log.recordReceived(stranded);
    const broker = new MemoryBroker({ requeueDelayMs: 10 });
    app = buildApp(loadConfig(temp.write('junction.yaml', `${CONFIG}recovery: { intervalMs: 1000, graceMs: 1000 }\n`), {}),
      { logger: silentLogger, port: 0, log, broker });
    await app.start();
    const record = await eventually(async () => {
      const r = await log.load(stranded.id);
      return r?.stages.some((s) => s.stage === 'recovered') ? r : undefined;
    }, 5_000, 50);
    expect(record.stages.find((s) => s.stage === 'recovered')?.detail).to.equal('published by the recovery sweep');
  });
});
