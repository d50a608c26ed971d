import { expect } from 'chai';
import { delayBucketMs } from '../../src/bus/amqp/amqp-topology';
import type { Endpoint } from '../../src/core/endpoint';
import { createEnvelope } from '../../src/core/envelope';
import { JunctionError } from '../../src/core/errors';
import { silentLogger } from '../../src/core/logger';
import type { MessageRecord } from '../../src/core/transaction-log';
import { RecoverySweep } from '../../src/gateway/recovery-sweep';
import type { CompiledRoute } from '../../src/routes/compiled-route';
import { RouteWorker } from '../../src/routes/route-worker';
import { TypeOrmTransactionLog } from '../../src/store/typeorm/typeorm-transaction-log';
import { dropStoreTables } from '../contract/transaction-log.support';
import { requireEnv, uniqueName } from '../support/env';
import { deleteTopology, drainQueue, RecordingAmqpBroker } from './bus/amqp-admin';

/**
 * RabbitMQ dead-letters a waiting copy out of its delay queue at most once: a broker killed at that
 * moment can lose it, leaving the message RETRYING with nothing on the bus to bring it back. Here
 * the copy is taken off its delay queue by hand (the loss), on real RabbitMQ and MariaDB; the
 * recovery sweep finds the message overdue and the next try is made after all.
 */
describe('a retry whose copy RabbitMQ lost (RouteWorker + AmqpBroker + MariaDB + RecoverySweep)', function () {
  this.timeout(60_000);
  const tablePrefix = `${uniqueName('lost').toLowerCase()}_`.slice(0, 16);
  const busPrefix = uniqueName('lostretry');
  const waitMs = 3000;
  const route: CompiledRoute = {
    id: 'orders', pattern: 'one-way', replyTimeoutMs: 1000, steps: [], replySteps: [], deliveries: [{ endpoint: 'erp', steps: [] }],
    capture: 'original', retry: { attempts: 3, initialDelayMs: waitMs, multiplier: 1, maxDelayMs: waitMs, jitter: 0 },
  };
  let amqpUrl: string;
  let dbUrl: string;
  let broker: RecordingAmqpBroker;
  let log: TypeOrmTransactionLog;
  let worker: RouteWorker;
  const tries: number[] = [];

  const endpoint: Endpoint = {
    name: 'erp', start: async () => undefined, close: async () => undefined,
    send: async (message) => {
      tries.push(message.attempt);
      if (message.attempt === 1) throw new JunctionError('JCT_ENDPOINT_SERVER_ERROR', 'ERP answered HTTP 503');
      return { contentType: 'application/json', body: '{}' };
    },
    preview: async (message) => ({ method: 'POST', url: 'http://erp.invalid/', headers: {}, body: message.body }),
  };

  before(async () => {
    amqpUrl = requireEnv('JUNCTION_TEST_AMQP_URL');
    dbUrl = requireEnv('JUNCTION_TEST_DB_URL');
    log = new TypeOrmTransactionLog({ url: dbUrl, tablePrefix });
    await log.start();
    broker = new RecordingAmqpBroker({ url: amqpUrl, prefix: busPrefix, logger: silentLogger, requeueDelayMs: 50 });
    await broker.start();
    await broker.declare([route.id]);
    worker = new RouteWorker({ broker, log, logger: silentLogger, prefetch: 5, routes: { routes: [route], endpoints: new Map([['erp', endpoint]]), soapServices: [] } });
    await worker.start();
  });
  after(async () => {
    await worker?.close();
    await broker?.close();
    await log?.close();
    await deleteTopology(amqpUrl, busPrefix, broker.declaredDestinations);
    await dropStoreTables(dbUrl, tablePrefix);
  });

  async function until(id: string, status: MessageRecord['status']): Promise<MessageRecord> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const record = await log.load(id);
      if (record?.status === status) return record;
      if (Date.now() > deadline) throw new Error(`message ${id} is ${String(record?.status)}, not ${status}`);
      await new Promise((resolve) => { setTimeout(resolve, 20); });
    }
  }

  it('stays RETRYING while its copy is merely waiting; once overdue, is published again and DELIVERED at attempt 2', async () => {
    const message = createEnvelope({ routeId: route.id, pattern: 'one-way', source: 'test', contentType: 'application/json', body: '{"orderId":"L-1"}' });
    await log.recordReceived(message);
    await broker.publish(route.id, message);
    await until(message.id, 'RETRYING');

    const sweep = new RecoverySweep({ log, broker, logger: silentLogger, graceMs: 1000 });
    expect((await sweep.sweep()).published, 'not yet due: left alone').to.deep.equal([]);
    const lost = await drainQueue(amqpUrl, `${busPrefix}.delay.${route.id}.${delayBucketMs(waitMs)}`);
    expect(lost, 'the waiting copy, taken off its delay queue').to.have.length(1);

    const overdue = new Date(Date.now() + waitMs * 1.1 + 2000);
    expect((await sweep.sweep(overdue)).published).to.deep.equal([message.id]);
    const record = await until(message.id, 'DELIVERED');
    expect(record.attempts).to.equal(2);
    expect(record.stages.map((s) => s.stage)).to.deep.equal(['received', 'processing', 'retry', 'recovered', 'processing', 'deliver:erp']);
    expect(tries).to.deep.equal([1, 2]);
    await sweep.close();
  });
});
