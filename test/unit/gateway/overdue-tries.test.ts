import { expect } from 'chai';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import type { PublishOptions } from '../../../src/core/broker';
import type { Endpoint } from '../../../src/core/endpoint';
import { createEnvelope, type Envelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { DEADLINE_HEADER, REPLAY_OF_HEADER } from '../../../src/core/headers';
import { silentLogger } from '../../../src/core/logger';
import { RecoverySweep } from '../../../src/gateway/recovery-sweep';
import { holdDetail, retryDetail } from '../../../src/routes/announced-wait';
import type { CompiledRoute } from '../../../src/routes/compiled-route';
import { HELD_HEADER, RouteWorker } from '../../../src/routes/route-worker';
import { createJunctionMetrics } from '../../../src/core/junction-metrics';
import { PrometheusMetrics } from '../../../src/observability/prometheus-metrics';
import { consumingBus } from '../../support/consuming-bus';
import { FakeTransactionLog } from '../../support/fake-transaction-log';

const GRACE_MS = 30_000;
const later = (ms: number): Date => new Date(Date.now() + ms);
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 30));

const message = (routeId: string, pattern: 'one-way' | 'request-reply' = 'one-way', headers: Record<string, string> = {}): Envelope => createEnvelope({
  routeId, pattern, source: 'rest:POST /api/v1/orders', contentType: 'application/json', body: '{"orderId":"o-7"}', headers: { 'x-note': 'kept', ...headers },
});

/**
 * The recovery sweep's second half: messages waiting RETRYING or HELD whose copy on the bus was lost
 * (RabbitMQ dead-letters a copy out of its delay queue at most once; the in-process bus loses its
 * timers with the process) are put back once overdue — and only then.
 */
describe('RecoverySweep: messages whose copy on the bus was lost while they waited (RETRYING, HELD)', () => {
  let log: FakeTransactionLog;
  let broker: MemoryBroker;
  let received: Envelope[];

  beforeEach(async () => {
    log = new FakeTransactionLog();
    ({ broker, received } = await consumingBus(['orders', 'quotes', 'secret'], ['backlogged']));
  });
  afterEach(async () => { await broker.close(); });

  const sweeper = (extra: Partial<ConstructorParameters<typeof RecoverySweep>[0]> = {}): RecoverySweep =>
    new RecoverySweep({ log, broker, logger: silentLogger, graceMs: GRACE_MS, ...extra });

  async function retrying(m: Envelope, waitMs: number): Promise<void> {
    await log.recordReceived(m);
    await log.transition(m.id, { stage: 'processing', status: 'PROCESSING', attempt: 1 });
    await log.transition(m.id, {
      stage: 'retry', status: 'RETRYING', attempt: 1, endpoint: 'oa', detail: retryDetail(2, 4, waitMs, 'deliver:oa'),
      error: { code: 'JCT_ENDPOINT_UNREACHABLE', message: 'HTTP 503', retryable: true },
    }, ['PROCESSING']);
  }

  it('publishes an overdue RETRYING message again at its next attempt, with a stage saying why', async () => {
    const lost = message('orders');
    await retrying(lost, 400);
    const result = await sweeper().sweep(later(GRACE_MS + 1_000));
    expect(result).to.deep.equal({ published: [lost.id], failed: [], skipped: [] });
    await settle();
    expect(received).to.have.length(1);
    expect(received[0]).to.deep.include({ id: lost.id, attempt: 2, body: lost.body, routeId: 'orders' });
    expect(received[0]?.headers).to.deep.equal({ 'x-note': 'kept' });
    const after = await log.load(lost.id);
    expect(after?.status, 'still waiting for that try').to.equal('RETRYING');
    // The stage keeps the failed try's attempt: the message's attempts must not run ahead of the copy it waits for.
    expect(after?.stages.at(-1)).to.deep.include({ stage: 'recovered', status: 'RETRYING', attempt: 1 });
    expect(after?.attempts).to.equal(1);
    expect(after?.stages.at(-1)?.detail).to.match(/^its copy on the bus \(attempt 2, due .+\) was lost; published again by the recovery sweep$/);
    expect((await sweeper().sweep(later(GRACE_MS / 2))).published, 'the new copy gets its grace period too').to.deep.equal([]);
  });

  it('when publishing fails, the next round after the grace period tries again, at the same attempt', async () => {
    const lost = message('orders');
    await retrying(lost, 400);
    const failing = Object.create(broker) as MemoryBroker;
    failing.publish = async () => { throw new JunctionError('JCT_BROKER_UNAVAILABLE', 'RabbitMQ is down'); };
    expect((await sweeper({ broker: failing }).sweep(later(GRACE_MS + 1_000))).skipped).to.deep.equal([lost.id]);
    expect(received).to.deep.equal([]);
    expect((await sweeper().sweep(later(GRACE_MS / 2))).published, 'within the grace of the failed round').to.deep.equal([]);
    expect((await sweeper().sweep(later(GRACE_MS + 1_000))).published).to.deep.equal([lost.id]);
    await settle();
    expect(received.map((m) => m.attempt)).to.deep.equal([2]);
    expect((await log.load(lost.id))?.stages.filter((s) => s.stage === 'recovered').map((s) => s.detail?.match(/attempt (\d+)/)?.[1])).to.deep.equal(['2', '2']);
  });

  it('publishes above the log\'s attempts, which refuses any older copy: a recovered stage as the previous version wrote it (at the published attempt)', async () => {
    const lost = message('orders');
    await retrying(lost, 400);
    await log.transition(lost.id, {
      stage: 'recovered', status: 'RETRYING', attempt: 2, detail: `its copy on the bus (due ${new Date().toISOString()}) was lost; published again by the recovery sweep`,
    }, ['RETRYING']);
    expect((await sweeper().sweep(later(GRACE_MS + 1_000))).published).to.deep.equal([lost.id]);
    await settle();
    expect(received.map((m) => m.attempt), 'attempt 2 would be refused: the log has seen it').to.deep.equal([3]);
  });

  it('looks past deliveries a handling recorded after the retry (overtaken by the one that scheduled it): they announce no wait', async () => {
    const lost = message('orders');
    await retrying(lost, 400);
    await log.transition(lost.id, { stage: 'deliver:erp', status: 'RETRYING', attempt: 1, endpoint: 'erp' }, ['RETRYING']);
    expect((await sweeper().sweep(later(GRACE_MS + 1_000))).published).to.deep.equal([lost.id]);
    await settle();
    expect(received.map((m) => m.attempt)).to.deep.equal([2]);
  });

  it('leaves a message whose copy is not yet overdue: its wait, RabbitMQ\'s rounding and the grace period first', async () => {
    const waiting = message('orders');
    await retrying(waiting, 60_000);
    // Due in 60 s (66 s with rounding): 90 s from now is within the grace, 97 s past it.
    expect(await sweeper().sweep(later(90_000))).to.deep.equal({ published: [], failed: [], skipped: [] });
    expect((await log.load(waiting.id))?.status).to.equal('RETRYING');
    expect((await sweeper().sweep(later(97_000))).published).to.deep.equal([waiting.id]);
  });

  it('loads a message found not yet overdue again only once it may be (or once it changed)', async () => {
    const waiting = message('orders');
    await retrying(waiting, 60_000);
    let loads = 0;
    const counting = Object.create(log) as FakeTransactionLog;
    counting.load = async (id: string) => { loads += 1; return log.load(id); };
    const sweep = sweeper({ log: counting });
    for (const ms of [40_000, 50_000, 60_000, 90_000]) expect((await sweep.sweep(later(ms))).published).to.deep.equal([]);
    expect(loads, 'one look while it waits').to.equal(1);
    expect((await sweep.sweep(later(97_000))).published).to.deep.equal([waiting.id]);
    expect(loads).to.equal(2);
  });

  it('sees past a wall of messages waiting out long backoffs: those it knows cost no load, so a lost copy behind them is put back', async () => {
    const patient = Array.from({ length: 5 }, () => message('orders'));
    for (const m of patient) await retrying(m, 3_600_000);
    await settle(); // changed longest ago, so they are the first candidates
    const lost = message('orders');
    await retrying(lost, 400);
    const loads: string[] = [];
    const counting = Object.create(log) as FakeTransactionLog;
    counting.load = async (id: string) => { loads.push(id); return log.load(id); };
    const sweep = sweeper({ log: counting, batchSize: 2 });
    const now = later(GRACE_MS + 1_000);
    const published: string[] = [];
    for (let round = 1; round <= 3; round += 1) {
      published.push(...(await sweep.sweep(now)).published);
      expect(loads, `round ${round}: at most batchSize loads a round`).to.have.length(Math.min(2 * round, patient.length + 1));
    }
    expect(published, 'found in the third round, behind five messages that wait an hour').to.deep.equal([lost.id]);
    expect((await log.load(lost.id))?.stages.at(-1)?.stage).to.equal('recovered');
    for (const m of patient) {
      expect((await log.load(m.id))?.stages.at(-1)?.stage, 'the patient ones are left to wait').to.equal('retry');
      expect(loads.filter((id) => id === m.id), 'each patient one looked at once').to.have.length(1);
    }
    await sweep.sweep(now);
    expect(loads.filter((id) => id !== lost.id), 'a later round loads none of those it knows to be waiting').to.have.length(patient.length);
  });

  it('publishes an overdue HELD message at the same attempt, marked held (so reached recipients are skipped)', async () => {
    const held = message('orders');
    await log.recordReceived(held);
    await log.transition(held.id, { stage: 'processing', status: 'PROCESSING', attempt: 1 });
    await log.transition(held.id, { stage: 'held', status: 'HELD', attempt: 1, endpoint: 'oa', detail: holdDetail('oa', 1_200) }, ['PROCESSING']);
    expect((await sweeper().sweep(later(GRACE_MS + 2_000))).published).to.deep.equal([held.id]);
    await settle();
    expect(received[0]).to.deep.include({ id: held.id, attempt: 1 });
    expect(received[0]?.headers[HELD_HEADER]).to.equal('1');
  });

  it('a message held before its retry keeps its holds on the copy it gets back (the log refuses a copy counting fewer)', async () => {
    const lost = message('orders');
    await log.recordReceived(lost);
    await log.transition(lost.id, { stage: 'processing', status: 'PROCESSING', attempt: 1 });
    await log.transition(lost.id, { stage: 'held', status: 'HELD', attempt: 1, endpoint: 'oa', detail: holdDetail('oa', 100) }, ['PROCESSING']);
    await log.transition(lost.id, { stage: 'processing', status: 'PROCESSING', attempt: 1 }, ['HELD']);
    await log.transition(lost.id, { stage: 'retry', status: 'RETRYING', attempt: 1, detail: retryDetail(2, 4, 400, 'deliver:oa') }, ['PROCESSING']);
    expect((await sweeper().sweep(later(GRACE_MS + 2_000))).published).to.deep.equal([lost.id]);
    await settle();
    expect(received[0]).to.deep.include({ id: lost.id, attempt: 2 });
    expect(received[0]?.headers[HELD_HEADER]).to.equal('1');
  });

  it('leaves overdue messages of a route whose queue has messages ready: the late copy may be among them', async () => {
    const waiting = message('backlogged');
    await retrying(waiting, 400);
    await broker.publish('backlogged', message('backlogged')); // nobody consumes it: a backlog
    expect((await sweeper().sweep(later(GRACE_MS + 1_000))).skipped).to.deep.equal([waiting.id]);
    expect((await log.load(waiting.id))?.status).to.equal('RETRYING');
  });

  it('counts what it put back and what it failed in junction_messages_recovered_total (and failures in junction_messages_failed_total)', async () => {
    const prometheus = new PrometheusMetrics({ processMetrics: false });
    const lost = message('orders');
    await retrying(lost, 400);
    const gone = message('quotes', 'request-reply', { [DEADLINE_HEADER]: later(1_000).toISOString() });
    await retrying(gone, 400);
    await sweeper({ metrics: createJunctionMetrics(prometheus) }).sweep(later(GRACE_MS + 1_000));
    const text = await prometheus.render();
    expect(text).to.contain('junction_messages_recovered_total{route="orders",reason="lost-copy"} 1');
    expect(text).to.contain('junction_messages_recovered_total{route="quotes",reason="failed"} 1');
    expect(text).to.contain('junction_messages_failed_total{route="quotes",endpoint="",code="JCT_REPLY_TIMEOUT"} 1');
  });

  it('request-reply: leaves it while its caller waits; FAILED with JCT_REPLY_TIMEOUT once the caller has gone', async () => {
    const request = message('quotes', 'request-reply', { [DEADLINE_HEADER]: later(60_000).toISOString() });
    await retrying(request, 400);
    expect((await sweeper().sweep(later(GRACE_MS + 1_000))).failed).to.deep.equal([]);
    expect((await log.load(request.id))?.status).to.equal('RETRYING');
    expect((await sweeper().sweep(later(61_000))).failed).to.deep.equal([request.id]);
    await settle();
    expect(received, 'never published: nobody would hear its answer').to.deep.equal([]);
    const after = await log.load(request.id);
    expect(after?.status).to.equal('FAILED');
    expect(after?.lastError?.code).to.equal('JCT_REPLY_TIMEOUT');
  });

  it('request-reply without a deadline (an operator\'s replay: nobody waits for it) is published again like a one-way message', async () => {
    const replay = createEnvelope({
      routeId: 'quotes', pattern: 'request-reply', source: 'admin:replay', contentType: 'application/json', body: '{"q":1}',
      headers: { [REPLAY_OF_HEADER]: 'original-id' }, replayOf: 'original-id',
    });
    await retrying(replay, 400);
    expect(await sweeper().sweep(later(GRACE_MS + 1_000))).to.deep.equal({ published: [replay.id], failed: [], skipped: [] });
    await settle();
    expect(received.map((m) => [m.id, m.attempt])).to.deep.equal([[replay.id, 2]]);
    expect((await log.load(replay.id))?.status).to.equal('RETRYING');
  });

  it('FAILED when the body was not kept (capture: none), instead of publishing an empty message', async () => {
    const secret = message('secret');
    await retrying({ ...secret, body: '' }, 400);
    expect((await sweeper({ keepsPayload: (route) => route !== 'secret' }).sweep(later(GRACE_MS + 1_000))).failed).to.deep.equal([secret.id]);
    expect((await log.load(secret.id))?.lastError?.code).to.equal('JCT_BROKER_UNAVAILABLE');
  });

  it('an operator\'s replay on a capture: none route keeps the body it was replayed with: published, not FAILED', async () => {
    const replay = { ...message('secret'), replayOf: 'original-id', body: '{"orderId":"o-7","fixed":true}' };
    await retrying(replay, 400);
    expect((await sweeper({ keepsPayload: (route) => route !== 'secret' }).sweep(later(GRACE_MS + 1_000))).published).to.deep.equal([replay.id]);
    await settle();
    expect(received.map((m) => m.body)).to.deep.equal([replay.body]);
  });

  it('a stage that does not say how long it waits counts as the longest wait there is (a day)', async () => {
    const odd = message('orders');
    await log.recordReceived(odd);
    await log.transition(odd.id, { stage: 'retry', status: 'RETRYING', attempt: 1, detail: 'written by some other version' });
    expect((await sweeper().sweep(later(3_600_000))).published).to.deep.equal([]);
    expect((await sweeper().sweep(later(1.1 * 86_400_000 + GRACE_MS + 1_000))).published).to.deep.equal([odd.id]);
  });
});

/** A bus that loses every delayed copy, as RabbitMQ can when killed while dead-lettering one. */
class LosingBroker extends MemoryBroker {
  lost = 0;
  override async publishDelayed(_destination: string, _message: Envelope, _delayMs: number, _options?: PublishOptions): Promise<void> {
    this.lost += 1;
  }
}

describe('RecoverySweep with a real worker: a try whose copy was lost is made after all, once', () => {
  const route: CompiledRoute = {
    id: 'orders', pattern: 'one-way', replyTimeoutMs: 1000, steps: [], replySteps: [], capture: 'original',
    deliveries: [{ endpoint: 'erp', steps: [] }, { endpoint: 'oa', steps: [] }],
    retry: { attempts: 3, initialDelayMs: 100, multiplier: 2, maxDelayMs: 1000, jitter: 0 },
  };

  it('the recipient reached on the first try is not called again; the failed one is, and the message ends DELIVERED', async () => {
    const log = new FakeTransactionLog();
    const broker = new LosingBroker({ requeueDelayMs: 10 });
    const calls: string[] = [];
    let oaDown = true;
    const endpoint = (name: string): Endpoint => ({
      name, start: async () => undefined, close: async () => undefined,
      send: async (m) => {
        calls.push(`${name}#${m.attempt}`);
        if (name === 'oa' && oaDown) throw new JunctionError('JCT_ENDPOINT_UNREACHABLE', 'oa refused the connection');
        return { contentType: 'application/json', body: '{}' };
      },
      preview: async (m) => ({ method: 'POST', url: 'http://backend.invalid/', headers: {}, body: m.body }),
    });
    const worker = new RouteWorker({
      broker, log, logger: silentLogger, prefetch: 4,
      routes: { routes: [route], endpoints: new Map([['erp', endpoint('erp')], ['oa', endpoint('oa')]]), soapServices: [] },
    });
    await broker.start();
    await broker.declare(['orders']);
    await worker.start();
    try {
      const order = message('orders');
      await log.recordReceived(order);
      await broker.publish('orders', order);
      for (let i = 0; i < 100 && (await log.load(order.id))?.status !== 'RETRYING'; i += 1) await settle();
      expect((await log.load(order.id))?.status).to.equal('RETRYING');
      expect(broker.lost).to.equal(1);

      oaDown = false;
      const result = await new RecoverySweep({ log, broker, logger: silentLogger, graceMs: GRACE_MS }).sweep(later(GRACE_MS + 1_000));
      expect(result.published).to.deep.equal([order.id]);
      for (let i = 0; i < 100 && (await log.load(order.id))?.status !== 'DELIVERED'; i += 1) await settle();
      const after = await log.load(order.id);
      expect(after?.status).to.equal('DELIVERED');
      expect(after?.attempts).to.equal(2);
      expect(calls.sort()).to.deep.equal(['erp#1', 'oa#1', 'oa#2']);
    } finally {
      await worker.close();
      await broker.close();
    }
  });
});
