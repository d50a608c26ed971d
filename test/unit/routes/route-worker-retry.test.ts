import { expect } from 'chai';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import type { Broker, PublishOptions } from '../../../src/core/broker';
import type { Endpoint } from '../../../src/core/endpoint';
import { createEnvelope, type Envelope } from '../../../src/core/envelope';
import { JunctionError, type SerializedError } from '../../../src/core/errors';
import { DEADLINE_HEADER } from '../../../src/core/headers';
import { silentLogger, type Logger } from '../../../src/core/logger';
import type { MessageRecord } from '../../../src/core/transaction-log';
import type { CompiledRoute, RetryPolicy } from '../../../src/routes/compiled-route';
import { createJunctionMetrics } from '../../../src/core/junction-metrics';
import { RecoverySweep } from '../../../src/gateway/recovery-sweep';
import { PrometheusMetrics } from '../../../src/observability/prometheus-metrics';
import { retryDelayMs, RouteWorker } from '../../../src/routes/route-worker';
import { FakeTransactionLog } from '../../support/fake-transaction-log';

describe('retry policy: retryDelayMs', () => {
  const policy: RetryPolicy = { attempts: 5, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 300_000, jitter: 0.2 };
  const exact = { ...policy, jitter: 0 };

  it('grows by the multiplier from initialDelayMs, starting after the first try', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(exact, n))).to.deep.equal([1000, 2000, 4000, 8000, 16_000]);
  });

  it('never exceeds maxDelayMs', () => {
    expect(retryDelayMs(exact, 30)).to.equal(300_000);
    expect(retryDelayMs({ ...exact, maxDelayMs: 3000 }, 3)).to.equal(3000);
    expect(retryDelayMs({ ...policy, maxDelayMs: 3000 }, 10, () => 0.999)).to.equal(3000);
  });

  it('a multiplier of 1 gives a constant wait', () => {
    expect([1, 2, 7].map((n) => retryDelayMs({ ...exact, multiplier: 1, initialDelayMs: 250 }, n))).to.deep.equal([250, 250, 250]);
  });

  it('jitter stays within ± jitter of the wait, at the extremes and at random', () => {
    expect(retryDelayMs(policy, 2, () => 0)).to.equal(1600);
    expect(retryDelayMs(policy, 2, () => 0.5)).to.equal(2000);
    expect(retryDelayMs(policy, 2, () => 0.999_999)).to.be.within(2399, 2400);
    const seen = Array.from({ length: 2000 }, () => retryDelayMs(policy, 3));
    expect(Math.min(...seen)).to.be.at.least(3200);
    expect(Math.max(...seen)).to.be.at.most(4800);
    expect(new Set(seen).size, 'jitter spreads the waits').to.be.greaterThan(100);
  });
});

/** A broker that records what the worker asks of it, in front of a MemoryBroker. */
class RecordingBroker extends MemoryBroker {
  readonly delayed: { message: Envelope; delayMs: number }[] = [];
  readonly parked: { message: Envelope; error: SerializedError }[] = [];
  failDelayed: Error | undefined;

  override async publishDelayed(destination: string, message: Envelope, delayMs: number, options: PublishOptions = {}): Promise<void> {
    if (this.failDelayed) throw this.failDelayed;
    this.delayed.push({ message, delayMs });
    await super.publishDelayed(destination, message, delayMs, options);
  }

  override async deadLetter(destination: string, message: Envelope, error: SerializedError): Promise<void> {
    this.parked.push({ message, error });
    await super.deadLetter(destination, message, error);
  }
}

describe('RouteWorker retries through the bus', function () {
  this.timeout(10_000);
  const policy: RetryPolicy = { attempts: 3, initialDelayMs: 20, multiplier: 2, maxDelayMs: 1000, jitter: 0 };
  let broker: RecordingBroker;
  let log: FakeTransactionLog;
  let worker: RouteWorker;
  let behaviour: (attempt: number) => void;
  let tries: number[];
  let lines: string[] = [];
  let prometheus: PrometheusMetrics;
  const logger: Logger = {
    debug: () => undefined,
    info: (message: string) => { lines.push(`info ${message}`); },
    warn: (message: string) => { lines.push(`warn ${message}`); },
    error: (message: string) => { lines.push(`error ${message}`); },
    child: () => logger,
  };

  const endpoint: Endpoint = {
    name: 'backend', start: async () => undefined, close: async () => undefined,
    send: async (message) => {
      tries.push(message.attempt);
      behaviour(message.attempt);
      return { contentType: 'application/json', body: '{"ok":true}' };
    },
    preview: async (message) => ({ method: 'POST', url: 'http://backend.invalid/', headers: {}, body: message.body }),
  };
  const route: CompiledRoute = { id: 'orders', pattern: 'one-way', replyTimeoutMs: 1000, steps: [], replySteps: [], deliveries: [{ endpoint: 'backend', steps: [] }], capture: 'original', retry: policy };

  const serverError = (): never => { throw new JunctionError('JCT_ENDPOINT_SERVER_ERROR', 'ERP answered HTTP 503'); };

  async function startWorker(routes: CompiledRoute[] = [route]): Promise<void> {
    broker = new RecordingBroker({ requeueDelayMs: 10 });
    await broker.start();
    await broker.declare(routes.map((r) => r.id));
    prometheus = new PrometheusMetrics({ processMetrics: false });
    worker = new RouteWorker({
      broker, log, logger, prefetch: 5, routes: { routes, endpoints: new Map([['backend', endpoint]]), soapServices: [] }, metrics: createJunctionMetrics(prometheus),
    });
    await worker.start();
  }

  async function send(message: Envelope, target: Broker = broker): Promise<void> {
    await log.recordReceived(message);
    await target.publish(message.routeId, message);
  }

  async function settled(id: string, timeoutMs = 5000): Promise<MessageRecord> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const record = await log.load(id);
      if (record && (record.status === 'DELIVERED' || record.status === 'FAILED')) return record;
      if (Date.now() > until) throw new Error(`message ${id} did not settle (status ${String(record?.status)})`);
      await new Promise((resolve) => { setTimeout(resolve, 5); });
    }
  }

  const oneWay = (routeId = 'orders'): Envelope => createEnvelope({ routeId, pattern: 'one-way', source: 'test', contentType: 'application/json', body: '{}' });

  beforeEach(() => {
    log = new FakeTransactionLog();
    tries = [];
    lines = [];
    behaviour = () => undefined;
  });
  afterEach(async () => {
    await worker.close();
    await broker.close();
  });

  it('a backend failing twice with 503, then answering, is DELIVERED at attempt 3 after two RETRYING stages', async () => {
    behaviour = (attempt) => { if (attempt < 3) serverError(); };
    await startWorker();
    const message = oneWay();
    const started = Date.now();
    await send(message);
    const record = await settled(message.id);
    expect(record.status).to.equal('DELIVERED');
    expect(record.attempts).to.equal(3);
    expect(tries).to.deep.equal([1, 2, 3]);
    expect(Date.now() - started, 'waited 20 + 40 ms between tries').to.be.at.least(55);
    const retrying = record.stages.filter((s) => s.status === 'RETRYING');
    expect(retrying.map((s) => [s.stage, s.attempt, s.detail])).to.deep.equal([
      ['retry', 1, 'attempt 2 of 3 in 20 ms (after deliver:backend failed)'],
      ['retry', 2, 'attempt 3 of 3 in 40 ms (after deliver:backend failed)'],
    ]);
    expect(retrying.every((s) => s.error?.code === 'JCT_ENDPOINT_SERVER_ERROR')).to.equal(true);
    expect(broker.delayed.map((d) => [d.message.id, d.message.attempt, d.delayMs])).to.deep.equal([[message.id, 2, 20], [message.id, 3, 40]]);
    expect(broker.parked).to.deep.equal([]);
  });

  it('a permanent error (HTTP 400) is FAILED after one try and dead-lettered', async () => {
    behaviour = () => { throw new JunctionError('JCT_ENDPOINT_REJECTED', 'ERP answered HTTP 400'); };
    await startWorker();
    const message = oneWay();
    await send(message);
    const record = await settled(message.id);
    expect(record.status).to.equal('FAILED');
    expect(record.attempts).to.equal(1);
    expect(tries).to.deep.equal([1]);
    expect(record.stages.some((s) => s.status === 'RETRYING')).to.equal(false);
    await waitFor(() => broker.deadLettered('orders').length === 1);
    const [parked] = broker.deadLettered('orders');
    expect(parked?.message.id).to.equal(message.id);
    expect(parked?.error).to.deep.include({ code: 'JCT_ENDPOINT_REJECTED', retryable: false });
    expect(broker.delayed).to.deep.equal([]);
  });

  it('retryable failures that use up the tries end FAILED with attempts = M, dead-lettered', async () => {
    behaviour = serverError;
    await startWorker();
    const message = oneWay();
    await send(message);
    const record = await settled(message.id);
    expect(record.status).to.equal('FAILED');
    expect(record.attempts).to.equal(3);
    expect(tries).to.deep.equal([1, 2, 3]);
    expect(record.stages.filter((s) => s.status === 'RETRYING')).to.have.length(2);
    expect(record.stages.at(-1)).to.deep.include({ stage: 'deliver:backend', status: 'FAILED', attempt: 3 });
    await waitFor(() => broker.parked.length === 1);
    expect(broker.parked[0]?.message.attempt).to.equal(3);
    expect(broker.parked[0]?.error.code).to.equal('JCT_ENDPOINT_SERVER_ERROR');
  });

  it('a route without a policy is tried once', async () => {
    behaviour = serverError;
    const once: CompiledRoute = { ...route, id: 'once' };
    delete (once as { retry?: RetryPolicy }).retry;
    await startWorker([once]);
    const message = oneWay('once');
    await send(message);
    expect((await settled(message.id)).attempts).to.equal(1);
    expect(tries).to.deep.equal([1]);
  });

  it('when the next try cannot be scheduled, the message waits RETRYING and the recovery sweep puts its copy back (nothing lost, no try early)', async () => {
    behaviour = (attempt) => { if (attempt === 1) serverError(); };
    await startWorker();
    broker.failDelayed = new JunctionError('JCT_BROKER_UNAVAILABLE', 'RabbitMQ is away');
    const message = oneWay();
    await send(message);
    await waitFor(() => tries.length >= 1);
    // The handling failed, the bus gave the delivery back (attempt 1): the log waits for attempt 2, so it is acknowledged without a try.
    await waitFor(() => lines.some((l) => l.startsWith('info copy outdated: the message is RETRYING after attempt 1')));
    await new Promise((resolve) => { setTimeout(resolve, 50); });
    expect(tries, 'no second try at attempt 1').to.deep.equal([1]);
    expect((await broker.queueDepth('orders')).ready, 'nothing left on the bus').to.equal(0);
    expect((await log.load(message.id))?.status).to.equal('RETRYING');
    broker.failDelayed = undefined;
    const sweep = new RecoverySweep({ log, broker, logger: silentLogger, graceMs: 1000 });
    expect((await sweep.sweep(new Date(Date.now() + 5000))).published).to.deep.equal([message.id]);
    const record = await settled(message.id);
    expect(record.status).to.equal('DELIVERED');
    expect(tries).to.deep.equal([1, 2]);
    expect(record.stages.map((s) => s.stage)).to.deep.equal(['received', 'processing', 'retry', 'recovered', 'processing', 'deliver:backend']);
  });

  it('a second copy of a try already made (published twice, or redelivered after its handling scheduled the next) is acknowledged without a try', async () => {
    behaviour = (attempt) => { if (attempt === 1) serverError(); };
    await startWorker([{ ...route, retry: { ...policy, initialDelayMs: 300 } }]);
    const message = oneWay();
    await send(message);
    await waitFor(() => tries.length >= 1 && broker.delayed.length === 1);
    await waitForStatus(log, message.id, 'RETRYING');
    // A late duplicate of attempt 1 arrives while the message waits for attempt 2.
    await broker.publish('orders', message);
    const record = await settled(message.id);
    expect(record.status).to.equal('DELIVERED');
    expect(tries, 'one try per attempt').to.deep.equal([1, 2]);
    expect(broker.delayed, 'one chain of tries').to.have.length(1);
    expect(await prometheus.render()).to.contain('junction_message_copies_skipped_total{route="orders",reason="outdated"} 1');
  });

  it('a copy of a message already DELIVERED is acknowledged without a try, and counted as settled', async () => {
    await startWorker();
    const message = oneWay();
    await send(message);
    await settled(message.id);
    await broker.publish('orders', message);
    await waitFor(() => lines.includes('info message already settled; acknowledging without delivering it again'));
    expect(tries).to.deep.equal([1]);
    expect(await prometheus.render()).to.contain('junction_message_copies_skipped_total{route="orders",reason="settled"} 1');
  });

  it('two copies of one retry (the sweep put one back, the other was only late) make one try; the other is acknowledged', async () => {
    behaviour = (attempt) => { if (attempt < 3) serverError(); };
    await startWorker([{ ...route, retry: { ...policy, initialDelayMs: 200 } }]);
    const message = oneWay();
    await send(message);
    await waitForStatus(log, message.id, 'RETRYING');
    // A second copy of attempt 2, as a recovery sweep racing a late copy would publish.
    await broker.publish('orders', { ...message, attempt: 2 });
    const record = await settled(message.id);
    expect(record.status).to.equal('DELIVERED');
    expect(tries, 'attempt 2 once, then attempt 3 once').to.deep.equal([1, 2, 3]);
    expect(broker.delayed.map((d) => d.message.attempt), 'one copy scheduled per failed try').to.deep.equal([2, 3]);
  });

  it('a retried fan-out delivers only to the recipients not reached before', async () => {
    const reached: string[] = [];
    let bFails = 1;
    const recipient = (name: string): Endpoint => ({
      name, start: async () => undefined, close: async () => undefined,
      preview: async (m) => ({ method: 'POST', url: `http://${name}.invalid/`, headers: {}, body: m.body }),
      send: async () => {
        reached.push(name);
        if (name === 'b' && bFails-- > 0) serverError();
        return { contentType: 'application/json', body: '{}' };
      },
    });
    const fan: CompiledRoute = { ...route, id: 'fan', deliveries: [{ endpoint: 'a', steps: [] }, { endpoint: 'b', steps: [] }] };
    broker = new RecordingBroker({ requeueDelayMs: 10 });
    await broker.start();
    await broker.declare(['fan']);
    worker = new RouteWorker({ broker, log, logger: silentLogger, prefetch: 1, routes: { routes: [fan], endpoints: new Map([['a', recipient('a')], ['b', recipient('b')]]), soapServices: [] } });
    await worker.start();
    const message = oneWay('fan');
    await send(message);
    const record = await settled(message.id);
    expect(record.status).to.equal('DELIVERED');
    expect(reached.sort()).to.deep.equal(['a', 'b', 'b']);
    expect(record.stages.at(-1)?.detail).to.equal('to a, b (already reached before: a)');
  });

  describe('request-reply', () => {
    const sync: CompiledRoute = { ...route, id: 'sync', pattern: 'request-reply', retry: { ...policy, initialDelayMs: 200, maxDelayMs: 1000 } };
    const request = (deadline: Date): Envelope => createEnvelope({
      routeId: 'sync', pattern: 'request-reply', source: 'test', contentType: 'application/json', body: '{}',
      headers: { [DEADLINE_HEADER]: deadline.toISOString() },
    });

    it('retries while the caller still waits, and the retried try answers the caller', async () => {
      behaviour = (attempt) => { if (attempt === 1) serverError(); };
      await startWorker([sync]);
      const message = request(new Date(Date.now() + 5000));
      const pending = broker.expectReply(message.id, 5000);
      await log.recordReceived(message);
      await broker.publish('sync', message, { replyTo: broker.replyAddress() });
      expect((await pending.reply).outcome).to.equal('ok');
      const record = await settled(message.id);
      expect(record.status).to.equal('DELIVERED');
      expect(tries).to.deep.equal([1, 2]);
    });

    it('fails at once with the error when the next try would start after the deadline, and answers the caller', async () => {
      behaviour = serverError;
      await startWorker([sync]);
      const message = request(new Date(Date.now() + 100)); // next try would be in 200 ms
      const pending = broker.expectReply(message.id, 5000);
      await log.recordReceived(message);
      await broker.publish('sync', message, { replyTo: broker.replyAddress() });
      const reply = await pending.reply;
      expect(reply).to.deep.include({ outcome: 'error' });
      expect(reply.outcome === 'error' ? reply.error.code : '').to.equal('JCT_ENDPOINT_SERVER_ERROR');
      const record = await settled(message.id);
      expect(record.status).to.equal('FAILED');
      expect(record.attempts).to.equal(1);
      expect(broker.delayed).to.deep.equal([]);
      expect(tries).to.deep.equal([1]);
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => { setTimeout(resolve, 5); });
  }
}

async function waitForStatus(log: FakeTransactionLog, id: string, status: string, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await log.load(id))?.status !== status) {
    if (Date.now() > until) throw new Error(`message ${id} did not reach ${status} in time`);
    await new Promise((resolve) => { setTimeout(resolve, 5); });
  }
}
