import { expect } from 'chai';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import type { Endpoint } from '../../../src/core/endpoint';
import { createEnvelope, type Envelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import type { MessageStatus } from '../../../src/core/message-status';
import type { StageEvent, TransitionOptions, TransitionResult } from '../../../src/core/transaction-log';
import type { CompiledRoute } from '../../../src/routes/compiled-route';
import { RouteWorker } from '../../../src/routes/route-worker';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { createJunctionMetrics } from '../../../src/core/junction-metrics';
import { PrometheusMetrics } from '../../../src/observability/prometheus-metrics';

/** A log that fails the next transitions to a given status, as a database going away mid-message does. */
class FlakyLog extends FakeTransactionLog {
  failStatus: MessageStatus | undefined;
  failures = 0;

  override async transition(messageId: string, event: StageEvent, from?: readonly MessageStatus[], options?: TransitionOptions): Promise<TransitionResult> {
    if (this.failures > 0 && event.status === this.failStatus) {
      this.failures -= 1;
      throw new JunctionError('JCT_STORE_UNAVAILABLE', 'The transaction log (test) is unavailable: connection lost (PROTOCOL_CONNECTION_LOST).');
    }
    return super.transition(messageId, event, from, options);
  }
}

async function rejection(work: Promise<unknown>): Promise<JunctionError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof JunctionError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('RouteWorker when the transaction log or the bus fails under it', () => {
  let log: FlakyLog;
  let worker: RouteWorker;
  let sent: string[];
  let release: (() => void) | undefined;
  const endpoint: Endpoint = {
    name: 'backend', start: async () => undefined, close: async () => undefined,
    send: async (message) => {
      sent.push(message.id);
      if (release === undefined) await Promise.resolve();
      else await new Promise<void>((resolve) => { const go = release; release = () => { go?.(); resolve(); }; });
      return { contentType: 'application/json', body: '{}' };
    },
    preview: async (message) => ({ method: 'POST', url: 'http://backend.invalid/', headers: {}, body: message.body }),
  };
  const route: CompiledRoute = {
    id: 'orders', pattern: 'one-way', replyTimeoutMs: 1000, steps: [], replySteps: [], deliveries: [{ endpoint: 'backend', steps: [] }],
    capture: 'original', retry: { attempts: 2, initialDelayMs: 10, multiplier: 1, maxDelayMs: 10, jitter: 0 },
  };

  beforeEach(() => {
    sent = [];
    release = undefined;
    log = new FlakyLog();
    worker = new RouteWorker({ broker: new MemoryBroker(), log, logger: silentLogger, prefetch: 1, routes: { routes: [route], endpoints: new Map([['backend', endpoint]]), soapServices: [] } });
  });

  async function received(attempt = 1): Promise<Envelope> {
    const message = { ...createEnvelope({ routeId: 'orders', pattern: 'one-way', source: 'test', contentType: 'application/json', body: '{}' }), attempt };
    await log.recordReceived(message);
    return message;
  }

  it('a log that cannot record DELIVERED fails the handling (the bus gives the message back): no try used, never FAILED', async () => {
    const message = await received(2); // the last try of the policy: a failure here would be final
    log.failStatus = 'DELIVERED';
    log.failures = 1;
    const error = await rejection(worker.handle(route, message, { redelivered: false }));
    expect(error.code).to.equal('JCT_STORE_UNAVAILABLE');
    const cut = await log.load(message.id);
    expect(cut?.status, 'left for the redelivery, not failed or retried').to.equal('PROCESSING');
    expect(cut?.stages.map((s) => s.status)).to.deep.equal(['RECEIVED', 'PROCESSING']);

    await worker.handle(route, message, { redelivered: true });
    const record = await log.load(message.id);
    expect(record?.status).to.equal('DELIVERED');
    expect(record?.attempts).to.equal(2);
    expect(record?.stages.at(-1)).to.deep.include({ stage: 'deliver:backend', detail: 'delivered by an earlier handling; recorded late (the transaction log had failed)' });
    // This process remembered that the backend had it: recorded, not sent again.
    expect(sent).to.deep.equal([message.id]);
  });

  it('another process (no memory of the first handling) sends it again under the same id: the backend must dedupe', async () => {
    const message = await received(1);
    log.failStatus = 'DELIVERED';
    log.failures = 1;
    expect((await rejection(worker.handle(route, message, { redelivered: false }))).code).to.equal('JCT_STORE_UNAVAILABLE');
    const other = new RouteWorker({ broker: new MemoryBroker(), log, logger: silentLogger, prefetch: 1, routes: { routes: [route], endpoints: new Map([['backend', endpoint]]), soapServices: [] } });
    await other.handle(route, message, { redelivered: true });
    expect((await log.load(message.id))?.status).to.equal('DELIVERED');
    expect(sent).to.deep.equal([message.id, message.id]);
  });

  it('remembers nothing for a message another handling settled meanwhile', async () => {
    const message = await received(1);
    log.failStatus = 'DELIVERED';
    log.failures = 1;
    await rejection(worker.handle(route, message, { redelivered: false }));
    await log.transition(message.id, { stage: 'deliver:backend', status: 'DELIVERED', attempt: 1, endpoint: 'backend' }); // another process recorded it
    await worker.handle(route, message, { redelivered: true });
    const stages = (await log.load(message.id))?.stages.map((s) => s.stage);
    expect(stages?.filter((s) => s === 'deliver:backend')).to.have.length(1);
    expect(sent).to.deep.equal([message.id]);
  });

  it('a log that cannot record RETRYING fails the handling instead of using up a try', async () => {
    const message = await received(1);
    const failing = new RouteWorker({
      broker: new MemoryBroker(), log, logger: silentLogger, prefetch: 1,
      routes: { routes: [route], endpoints: new Map([['backend', { ...endpoint, send: async () => { throw new JunctionError('JCT_ENDPOINT_UNREACHABLE', 'down'); } }]]), soapServices: [] },
    });
    log.failStatus = 'RETRYING';
    log.failures = 1;
    expect((await rejection(failing.handle(route, message, { redelivered: false }))).code).to.equal('JCT_STORE_UNAVAILABLE');
    const record = await log.load(message.id);
    expect(record?.status).to.equal('PROCESSING');
    expect(record?.attempts).to.equal(1);
  });

  it('a fresh copy of a message the log shows PROCESSING goes back to the bus (JCT_MESSAGE_IN_FLIGHT) without calling the backend', async () => {
    const message = await received();
    await log.transition(message.id, { stage: 'processing', status: 'PROCESSING', attempt: 1 });
    const prometheus = new PrometheusMetrics({ processMetrics: false });
    const counted = new RouteWorker({
      broker: new MemoryBroker(), log, logger: silentLogger, prefetch: 1, routes: { routes: [route], endpoints: new Map([['backend', endpoint]]), soapServices: [] },
      metrics: createJunctionMetrics(prometheus),
    });
    const error = await rejection(counted.handle(route, message, { redelivered: false }));
    expect(error.code).to.equal('JCT_MESSAGE_IN_FLIGHT');
    expect(error.retryable).to.equal(true);
    expect(sent).to.deep.equal([]);
    expect(await prometheus.render()).to.contain('junction_message_copies_skipped_total{route="orders",reason="in-flight"} 1');
    // The same copy redelivered (its first handling was cut off) takes over.
    await worker.handle(route, message, { redelivered: true });
    expect(sent).to.deep.equal([message.id]);
    expect((await log.load(message.id))?.status).to.equal('DELIVERED');
  });

  it('a copy redelivered while the first handling still runs in this process waits for it, then does nothing', async () => {
    const message = await received();
    let started!: () => void;
    const first = new Promise<void>((resolve) => { started = resolve; });
    release = () => undefined;
    const originalSend = endpoint.send.bind(endpoint);
    let calls = 0;
    const slow: Endpoint = { ...endpoint, send: async (m, ctx) => { calls += 1; started(); return originalSend(m, ctx); } };
    const guarded = new RouteWorker({ broker: new MemoryBroker(), log, logger: silentLogger, prefetch: 2, routes: { routes: [route], endpoints: new Map([['backend', slow]]), soapServices: [] } });
    const one = guarded.handle(route, message, { redelivered: false });
    await first;
    const two = guarded.handle(route, message, { redelivered: true }); // the old channel died; RabbitMQ redelivered it
    await new Promise((r) => setTimeout(r, 20));
    expect(calls, 'the redelivered copy waits').to.equal(1);
    release?.();
    await Promise.all([one, two]);
    expect(calls).to.equal(1);
    expect(sent).to.deep.equal([message.id]);
    expect((await log.load(message.id))?.status).to.equal('DELIVERED');
  });
});
