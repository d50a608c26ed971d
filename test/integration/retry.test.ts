import { expect } from 'chai';
import type { Endpoint } from '../../src/core/endpoint';
import { createEnvelope } from '../../src/core/envelope';
import { JunctionError } from '../../src/core/errors';
import { silentLogger } from '../../src/core/logger';
import type { MessageRecord } from '../../src/core/transaction-log';
import type { CompiledRoute } from '../../src/routes/compiled-route';
import { RouteWorker } from '../../src/routes/route-worker';
import { requireEnv, uniqueName } from '../support/env';
import { FakeTransactionLog } from '../support/fake-transaction-log';
import { deleteTopology, drainQueue, RecordingAmqpBroker } from './bus/amqp-admin';

describe('Retries through RabbitMQ (RouteWorker + AmqpBroker)', function () {
  this.timeout(30_000);
  let url: string;
  let prefix: string;
  let broker: RecordingAmqpBroker;
  let worker: RouteWorker;
  let log: FakeTransactionLog;
  let tries: number[];
  let behaviour: (attempt: number) => void;

  const endpoint: Endpoint = {
    name: 'erp', start: async () => undefined, close: async () => undefined,
    send: async (message) => { tries.push(message.attempt); behaviour(message.attempt); return { contentType: 'application/json', body: '{}' }; },
    preview: async (message) => ({ method: 'POST', url: 'http://erp.invalid/', headers: {}, body: message.body }),
  };
  const route: CompiledRoute = {
    id: 'orders', pattern: 'one-way', replyTimeoutMs: 1000, steps: [], replySteps: [], deliveries: [{ endpoint: 'erp', steps: [] }],
    capture: 'original', retry: { attempts: 3, initialDelayMs: 40, multiplier: 2, maxDelayMs: 1000, jitter: 0.2 },
  };

  beforeEach(async () => {
    url = requireEnv('JUNCTION_TEST_AMQP_URL');
    prefix = uniqueName('retryflow');
    log = new FakeTransactionLog();
    tries = [];
    broker = new RecordingAmqpBroker({ url, prefix, logger: silentLogger, requeueDelayMs: 50 });
    await broker.start();
    await broker.declare([route.id]);
    worker = new RouteWorker({ broker, log, logger: silentLogger, prefetch: 5, routes: { routes: [route], endpoints: new Map([['erp', endpoint]]), soapServices: [] } });
    await worker.start();
  });
  afterEach(async () => {
    await worker.close();
    await broker.close();
    await deleteTopology(url, prefix, broker.declaredDestinations);
  });

  async function settled(id: string): Promise<MessageRecord> {
    const until = Date.now() + 10_000;
    for (;;) {
      const record = await log.load(id);
      if (record && (record.status === 'DELIVERED' || record.status === 'FAILED')) return record;
      if (Date.now() > until) throw new Error(`message ${id} did not settle (status ${String(record?.status)})`);
      await new Promise((resolve) => { setTimeout(resolve, 10); });
    }
  }

  async function send(): Promise<string> {
    const message = createEnvelope({ routeId: route.id, pattern: 'one-way', source: 'test', contentType: 'application/json', body: '{"n":1}' });
    await log.recordReceived(message);
    await broker.publish(route.id, message);
    return message.id;
  }

  it('503, 503, then OK: DELIVERED at attempt 3, the waits spent in delay queues', async () => {
    behaviour = (attempt) => { if (attempt < 3) throw new JunctionError('JCT_ENDPOINT_SERVER_ERROR', 'ERP answered HTTP 503'); };
    const id = await send();
    const record = await settled(id);
    expect(record.status).to.equal('DELIVERED');
    expect(record.attempts).to.equal(3);
    expect(tries).to.deep.equal([1, 2, 3]);
    expect(record.stages.filter((s) => s.status === 'RETRYING').map((s) => s.attempt)).to.deep.equal([1, 2]);
    expect(await drainQueue(url, `${prefix}.dlq.orders`)).to.have.length(0);
  });

  it('a permanent error is FAILED at once and parked on the DLQ with its error', async () => {
    behaviour = () => { throw new JunctionError('JCT_ENDPOINT_REJECTED', 'ERP answered HTTP 400'); };
    const id = await send();
    const record = await settled(id);
    expect(record.status).to.equal('FAILED');
    expect(record.attempts).to.equal(1);
    let parked = await drainQueue(url, `${prefix}.dlq.orders`);
    for (let i = 0; parked.length === 0 && i < 50; i += 1) {
      await new Promise((resolve) => { setTimeout(resolve, 20); });
      parked = await drainQueue(url, `${prefix}.dlq.orders`);
    }
    expect(parked).to.have.length(1);
    expect(JSON.parse(String(parked[0]?.properties.headers?.['x-junction-error']))).to.deep.include({ code: 'JCT_ENDPOINT_REJECTED', retryable: false });
  });
});
