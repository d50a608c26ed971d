import { expect } from 'chai';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import type { PublishOptions } from '../../../src/core/broker';
import type { Endpoint } from '../../../src/core/endpoint';
import { createEnvelope, type Envelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { DEADLINE_HEADER } from '../../../src/core/headers';
import { silentLogger } from '../../../src/core/logger';
import type { MessageRecord } from '../../../src/core/transaction-log';
import { BreakingEndpoint } from '../../../src/endpoints/circuit-breaker';
import type { CompiledRoute, RetryPolicy } from '../../../src/routes/compiled-route';
import { HELD_HEADER, holdDelayMs, RouteWorker } from '../../../src/routes/route-worker';
import { FakeTransactionLog } from '../../support/fake-transaction-log';

class RecordingBroker extends MemoryBroker {
  readonly delayed: { message: Envelope; delayMs: number }[] = [];
  override async publishDelayed(destination: string, message: Envelope, delayMs: number, options: PublishOptions = {}): Promise<void> {
    this.delayed.push({ message, delayMs });
    await super.publishDelayed(destination, message, delayMs, options);
  }
}

describe('holdDelayMs', () => {
  it('is the remaining open time plus up to 20 % (at most 5 s) of jitter', () => {
    expect(holdDelayMs(1000, () => 0)).to.equal(1000);
    expect(holdDelayMs(1000, () => 0.999_999)).to.equal(1200);
    expect(holdDelayMs(60_000, () => 0.999_999)).to.equal(65_000);
    expect(holdDelayMs(0, () => 0)).to.equal(1);
  });
});

describe('RouteWorker with an endpoint behind a circuit breaker', function () {
  this.timeout(10_000);
  const policy: RetryPolicy = { attempts: 5, initialDelayMs: 10, multiplier: 1, maxDelayMs: 1000, jitter: 0 };
  let broker: RecordingBroker;
  let log: FakeTransactionLog;
  let worker: RouteWorker;
  /** How the backend behaves: undefined = answers. */
  let failure: (() => never) | undefined;
  /** Each call that reached a backend: `<endpoint> <message id> <attempt> <breaker state>`. */
  let calls: { endpoint: string; id: string; attempt: number; state: string }[];
  let backend: BreakingEndpoint;
  let other: Endpoint;

  const fake = (name: string, fails: () => (() => never) | undefined, state: () => string): Endpoint => ({
    name, start: async () => undefined, close: async () => undefined,
    send: async (message) => {
      calls.push({ endpoint: name, id: message.id, attempt: message.attempt, state: state() });
      fails()?.();
      return { contentType: 'application/json', body: '{"ok":true}' };
    },
    preview: async (message) => ({ method: 'POST', url: `http://${name}.invalid/`, headers: {}, body: message.body }),
  });
  const down = (): never => { throw new JunctionError('JCT_ENDPOINT_UNREACHABLE', 'connection refused'); };
  const rejected = (): never => { throw new JunctionError('JCT_ENDPOINT_REJECTED', 'backend answered HTTP 400'); };

  const route: CompiledRoute = { id: 'orders', pattern: 'one-way', replyTimeoutMs: 1000, steps: [], replySteps: [], deliveries: [{ endpoint: 'backend', steps: [] }], capture: 'original', retry: policy };
  const fanOut: CompiledRoute = { ...route, id: 'fan', deliveries: [{ endpoint: 'backend', steps: [] }, { endpoint: 'other', steps: [] }] };
  const sync: CompiledRoute = { ...route, id: 'sync', pattern: 'request-reply' };

  async function startWorker(openMs: number, failures = 2): Promise<void> {
    backend = new BreakingEndpoint(fake('backend', () => failure, () => backend.breaker.state), { failures, openMs });
    other = fake('other', () => undefined, () => 'none');
    broker = new RecordingBroker({ requeueDelayMs: 10 });
    await broker.start();
    const routes = [route, fanOut, sync];
    await broker.declare(routes.map((r) => r.id));
    worker = new RouteWorker({ broker, log, logger: silentLogger, prefetch: 5, routes: { routes, endpoints: new Map<string, Endpoint>([['backend', backend], ['other', other]]), soapServices: [] } });
    await worker.start();
  }

  const oneWay = (routeId = 'orders'): Envelope => createEnvelope({ routeId, pattern: 'one-way', source: 'test', contentType: 'application/json', body: '{}' });

  async function send(message: Envelope): Promise<void> {
    await log.recordReceived(message);
    await broker.publish(message.routeId, message);
  }

  async function status(id: string, wanted: string, timeoutMs = 5000): Promise<MessageRecord> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const record = await log.load(id);
      if (record?.status === wanted) return record;
      if (Date.now() > until) throw new Error(`message ${id} did not become ${wanted} (status ${String(record?.status)})`);
      await new Promise((resolve) => { setTimeout(resolve, 5); });
    }
  }

  beforeEach(() => {
    log = new FakeTransactionLog();
    calls = [];
    failure = undefined;
  });
  afterEach(async () => {
    await worker.close();
    await broker.close();
  });

  it('opens after repeated failures: messages wait HELD without using tries, the backend is not called, and they are DELIVERED after recovery', async () => {
    await startWorker(400);
    failure = down;
    const first = oneWay();
    await send(first);
    // attempt 1 and 2 fail → the breaker opens; attempt 3 finds it open and is held.
    const heldFirst = await status(first.id, 'HELD');
    expect(backend.breaker.state).to.equal('open');
    const second = oneWay();
    await send(second);
    const heldSecond = await status(second.id, 'HELD');
    expect(heldSecond.attempts, 'a hold does not use a try').to.equal(1);
    const held = heldSecond.stages.at(-1);
    expect(held?.stage).to.equal('held');
    expect(held?.attempt).to.equal(1);
    expect(held?.error?.code).to.equal('JCT_ENDPOINT_CIRCUIT_OPEN');
    expect(held?.detail).to.match(/^endpoint backend is down; waiting \d+ ms$/);
    expect(heldFirst.attempts).to.equal(3);

    failure = undefined; // the backend recovers
    const [a, b] = [await status(first.id, 'DELIVERED'), await status(second.id, 'DELIVERED')];
    expect([a.attempts, b.attempts], 'attempts unchanged by the holds').to.deep.equal([3, 1]);
    expect(calls.map((c) => `${c.id === first.id ? 'first' : 'second'}@${c.attempt}`).slice(0, 2)).to.deep.equal(['first@1', 'first@2']);
    expect(calls, 'two failures, then one delivery each').to.have.length(4);
    expect(calls.every((c) => c.state !== 'open'), 'never called while open').to.equal(true);
    expect(calls[2]?.state, 'the first call after the outage is the half-open trial').to.equal('half-open');
    expect(backend.breaker.state).to.equal('closed');
    const holds = broker.delayed.filter((d) => d.message.headers[HELD_HEADER] !== undefined);
    expect(holds.length).to.be.at.least(2);
    expect(holds.find((d) => d.message.id === second.id)?.message.attempt, 'held copy keeps the attempt').to.equal(1);
    expect(holds.every((d) => d.delayMs > 0 && d.delayMs <= 400 * 1.2 + 1)).to.equal(true);
  });

  it('a second copy of a held message (the same attempt, fewer holds) is acknowledged: one chain of holds, one delivery', async () => {
    await startWorker(300, 1);
    failure = down;
    const opener = oneWay();
    await send(opener);
    await status(opener.id, 'RETRYING'); // its failure opened the breaker
    expect(backend.breaker.state).to.equal('open');
    const message = oneWay();
    await send(message);
    await status(message.id, 'HELD');
    // A second copy of the same try (as a sweep racing a late copy would publish), not yet held.
    await broker.publish(message.routeId, message);
    failure = undefined;
    const delivered = await status(message.id, 'DELIVERED');
    expect(calls.filter((c) => c.id === message.id), 'delivered once').to.have.length(1);
    const holdsOfIt = broker.delayed.filter((d) => d.message.id === message.id).map((d) => d.message.headers[HELD_HEADER]);
    expect(holdsOfIt, 'each hold scheduled one copy, counting up').to.deep.equal(holdsOfIt.map((_, i) => String(i + 1)));
    expect(delivered.stages.filter((s) => s.stage === 'held')).to.have.length(holdsOfIt.length);
  });

  it('a 4xx does not open the breaker: every message reaches the backend and FAILS on its own', async () => {
    await startWorker(10_000, 2);
    failure = rejected;
    const messages = [oneWay(), oneWay(), oneWay()];
    for (const message of messages) {
      await send(message);
      expect((await status(message.id, 'FAILED')).stages.at(-1)?.error?.code).to.equal('JCT_ENDPOINT_REJECTED');
    }
    expect(calls).to.have.length(3);
    expect(backend.breaker.state).to.equal('closed');
  });

  it('fan-out: a held recipient does not block the others; when it comes back only it is delivered', async () => {
    await startWorker(300);
    backend.breaker.failure();
    backend.breaker.failure();
    expect(backend.breaker.state).to.equal('open');
    const message = oneWay('fan');
    await send(message);
    const held = await status(message.id, 'HELD');
    expect(calls.map((c) => c.endpoint), 'other delivered, backend not called').to.deep.equal(['other']);
    expect(held.stages.some((s) => s.stage === 'deliver:other' && !s.error)).to.equal(true);
    const record = await status(message.id, 'DELIVERED');
    expect(calls.map((c) => `${c.endpoint}@${c.attempt}`)).to.deep.equal(['other@1', 'backend@1']);
    expect(record.attempts).to.equal(1);
    expect(record.stages.at(-1)?.detail).to.equal('to backend, other (already reached before: other)');
  });

  it('request-reply: fails at once with JCT_ENDPOINT_CIRCUIT_OPEN when the wait would pass the caller\'s deadline', async () => {
    await startWorker(10_000);
    backend.breaker.failure();
    backend.breaker.failure();
    const message = createEnvelope({
      routeId: 'sync', pattern: 'request-reply', source: 'test', contentType: 'application/json', body: '{}',
      headers: { [DEADLINE_HEADER]: new Date(Date.now() + 2000).toISOString() },
    });
    const pending = broker.expectReply(message.id, 5000);
    await log.recordReceived(message);
    await broker.publish('sync', message, { replyTo: broker.replyAddress() });
    const reply = await pending.reply;
    expect(reply.outcome === 'error' ? reply.error.code : reply.outcome).to.equal('JCT_ENDPOINT_CIRCUIT_OPEN');
    const record = await status(message.id, 'FAILED');
    expect(record.attempts).to.equal(1);
    expect(calls).to.deep.equal([]);
    expect(broker.delayed).to.deep.equal([]);
  });

  it('request-reply: a caller still waiting after the open time is held and answered once the backend is back', async () => {
    await startWorker(200);
    backend.breaker.failure();
    backend.breaker.failure();
    const message = createEnvelope({
      routeId: 'sync', pattern: 'request-reply', source: 'test', contentType: 'application/json', body: '{}',
      headers: { [DEADLINE_HEADER]: new Date(Date.now() + 5000).toISOString() },
    });
    const pending = broker.expectReply(message.id, 5000);
    await log.recordReceived(message);
    await broker.publish('sync', message, { replyTo: broker.replyAddress() });
    expect((await pending.reply).outcome).to.equal('ok');
    const record = await status(message.id, 'DELIVERED');
    expect(record.stages.some((s) => s.status === 'HELD')).to.equal(true);
    expect(record.attempts).to.equal(1);
    expect(calls.map((c) => c.state)).to.deep.equal(['half-open']);
  });
});
