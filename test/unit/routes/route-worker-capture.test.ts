import { expect } from 'chai';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import type { Endpoint } from '../../../src/core/endpoint';
import { createEnvelope, withChanges, type Envelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import type { MessageStatus } from '../../../src/core/message-status';
import type { Step } from '../../../src/core/step';
import type { StageEvent, TransitionOptions, TransitionResult } from '../../../src/core/transaction-log';
import type { CompiledRoute } from '../../../src/routes/compiled-route';
import { RouteWorker } from '../../../src/routes/route-worker';
import { FakeTransactionLog } from '../../support/fake-transaction-log';

/** Counts the log's writes (each one transaction, one commit) and can fail the next write to a status. */
class CountingLog extends FakeTransactionLog {
  writes: string[] = [];
  /** The received body each write handed over (TransitionOptions.received), by write. */
  received: (string | undefined)[] = [];
  failStatus: MessageStatus | undefined;

  override async transition(messageId: string, event: StageEvent, from?: readonly MessageStatus[], options?: TransitionOptions): Promise<TransitionResult> {
    this.writes.push([...(options?.preceding ?? []).map((s) => s.stage), event.stage].join('+'));
    this.received.push(options?.received);
    if (event.status === this.failStatus) {
      this.failStatus = undefined;
      throw new JunctionError('JCT_STORE_UNAVAILABLE', 'The transaction log (test) is unavailable: connection lost.');
    }
    return super.transition(messageId, event, from, options);
  }
}

const step = (name: string, change: (body: string) => string): Step => ({
  name, run: async (message) => withChanges(message, { body: change(message.body), contentType: 'application/json' }),
});

const failing = (name: string): Step => ({
  name, run: async () => { throw new JunctionError('JCT_TRANSFORM_FAILED', `step ${name} cannot map this`); },
});

/**
 * `capture: steps`: the captured steps go to the log with the handling's next write — its outcome,
 * usually — in one transaction, not one write each; the history keeps its order.
 */
describe('RouteWorker: captured steps written with the outcome', () => {
  let log: CountingLog;
  let sent: string[];
  const endpoint = (name: string): Endpoint => ({
    name, start: async () => undefined, close: async () => undefined,
    send: async (message) => { sent.push(`${name} ${message.body}`); return { contentType: 'application/json', body: '{}' }; },
    preview: async (message) => ({ method: 'POST', url: 'http://backend.invalid/', headers: {}, body: message.body }),
  });
  const worker = (route: CompiledRoute): RouteWorker => new RouteWorker({
    broker: new MemoryBroker(), log, logger: silentLogger, prefetch: 1,
    routes: { routes: [route], endpoints: new Map([['a', endpoint('a')], ['b', endpoint('b')]]), soapServices: [] },
  });
  const route = (over: Partial<CompiledRoute>): CompiledRoute => ({
    id: 'orders', pattern: 'one-way', replyTimeoutMs: 1000, steps: [step('one', (b) => `${b}1`), step('two', (b) => `${b}2`)], replySteps: [],
    deliveries: [{ endpoint: 'a', steps: [] }], capture: 'steps', ...over,
  });

  beforeEach(() => {
    log = new CountingLog();
    sent = [];
  });

  async function received(attempt = 1): Promise<Envelope> {
    const message = { ...createEnvelope({ routeId: 'orders', pattern: 'one-way', source: 'test', contentType: 'application/json', body: 'x' }), attempt };
    await log.recordReceived(message);
    return message;
  }

  it('one recipient: PROCESSING, then the steps, the choice and DELIVERED in one write; every step\'s output kept, in order', async () => {
    const r = route({});
    const message = await received();
    await worker(r).handle(r, message, { redelivered: false });
    expect(log.writes).to.deep.equal(['processing', 'step:one+step:two+route+deliver:a']);
    const record = await log.load(message.id);
    expect(record?.status).to.equal('DELIVERED');
    expect(record?.stages.map((s) => [s.stage, s.status, s.payload])).to.deep.equal([
      ['received', 'RECEIVED', undefined], ['processing', 'PROCESSING', undefined], ['step:one', 'PROCESSING', 'x1'],
      ['step:two', 'PROCESSING', 'x12'], ['route', 'PROCESSING', undefined], ['deliver:a', 'DELIVERED', 'x12'],
    ]);
    expect(record?.stages[2]?.detail).to.equal('application/json');
    // The log keeps whole milliseconds (the runner times stages in fractional seconds).
    for (const stage of record?.stages.slice(2, 5) ?? []) expect(Number.isInteger(stage.durationMs), stage.stage).to.equal(true);
  });

  it('a step that fails: the steps before it are written with FAILED, in the same write', async () => {
    const r = route({ steps: [step('one', (b) => `${b}1`), failing('two')] });
    const message = await received();
    await worker(r).handle(r, message, { redelivered: false });
    expect(log.writes).to.deep.equal(['processing', 'step:one+step:two']);
    const record = await log.load(message.id);
    expect(record?.status).to.equal('FAILED');
    expect(record?.stages.map((s) => `${s.stage} ${s.status}`)).to.deep.equal(['received RECEIVED', 'processing PROCESSING', 'step:one PROCESSING', 'step:two FAILED']);
    expect(sent).to.deep.equal([]);
  });

  it('a delivery to be tried again: the steps go with RETRYING', async () => {
    const r = route({ retry: { attempts: 2, initialDelayMs: 10, multiplier: 1, maxDelayMs: 10, jitter: 0 } });
    const broker = new MemoryBroker();
    await broker.start();
    await broker.declare(['orders']);
    try {
      const down: Endpoint = { ...endpoint('a'), send: async () => { throw new JunctionError('JCT_ENDPOINT_UNREACHABLE', 'down'); } };
      const retrying = new RouteWorker({ broker, log, logger: silentLogger, prefetch: 1, routes: { routes: [r], endpoints: new Map([['a', down]]), soapServices: [] } });
      const message = await received();
      await retrying.handle(r, message, { redelivered: false });
      expect(log.writes).to.deep.equal(['processing', 'step:one+step:two+route+retry']);
      expect((await log.load(message.id))?.status).to.equal('RETRYING');
    } finally {
      await broker.close();
    }
  });

  it('several recipients: the steps are written before the deliveries (the history stays in order), then each delivery, then DELIVERED', async () => {
    const r = route({ deliveries: [{ endpoint: 'a', steps: [] }, { endpoint: 'b', steps: [step('b-only', (b) => `${b}b`)] }] });
    const message = await received();
    await worker(r).handle(r, message, { redelivered: false });
    expect(log.writes.slice(0, 2)).to.deep.equal(['processing', 'step:one+step:two+route+step:b:b-only']);
    expect(log.writes.slice(2, 4)).to.have.members(['deliver:a', 'deliver:b']);
    expect(log.writes[4]).to.equal('delivered');
    const stages = (await log.load(message.id))?.stages.map((s) => s.stage);
    expect(stages?.slice(0, 6)).to.deep.equal(['received', 'processing', 'step:one', 'step:two', 'route', 'step:b:b-only']);
    expect(stages?.at(-1)).to.equal('delivered');
    expect(sent).to.have.members(['a x12', 'b x12b']);
  });

  it('an outcome the log cannot record takes its steps with it; the redelivered message is recorded late with them, not sent again', async () => {
    const r = route({});
    const w = worker(r);
    const message = await received();
    log.failStatus = 'DELIVERED';
    let failed: unknown;
    await w.handle(r, message, { redelivered: false }).catch((error: unknown) => { failed = error; });
    expect((failed as JunctionError).code).to.equal('JCT_STORE_UNAVAILABLE');
    expect((await log.load(message.id))?.stages.map((s) => s.stage)).to.deep.equal(['received', 'processing']);
    await w.handle(r, message, { redelivered: true });
    const record = await log.load(message.id);
    expect(record?.status).to.equal('DELIVERED');
    expect(record?.stages.map((s) => s.stage)).to.deep.equal(['received', 'processing', 'processing', 'step:one', 'step:two', 'route', 'deliver:a']);
    expect(record?.stages.at(-1)?.detail).to.match(/recorded late/);
    expect(sent).to.deep.equal(['a x12']);
  });

  it('every write with captured payloads hands the log the received body, so a stage repeating it can refer to it', async () => {
    const unchanged: Step = { name: 'check', run: async (message) => message };
    const one = route({ steps: [unchanged, step('two', (b) => `${b}2`)] });
    const message = await received();
    await worker(one).handle(one, message, { redelivered: false });
    expect(log.writes).to.deep.equal(['processing', 'step:check+step:two+route+deliver:a']);
    expect(log.received).to.deep.equal([undefined, 'x']);
    expect((await log.load(message.id))?.stages.map((s) => [s.stage, s.payload]).slice(2)).to.deep.equal([
      ['step:check', 'x'], ['step:two', 'x2'], ['route', undefined], ['deliver:a', 'x2'],
    ]);
    // Several recipients: the flushed steps and each delivery (here the body as received) hand it over too.
    log.writes = [];
    log.received = [];
    const two = route({ steps: [unchanged], deliveries: [{ endpoint: 'a', steps: [] }, { endpoint: 'b', steps: [] }] });
    const other = await received();
    await worker(two).handle(two, other, { redelivered: false });
    expect(log.writes.slice(1, 4)).to.have.members(['step:check+route', 'deliver:a', 'deliver:b']);
    expect(log.received.slice(1, 5)).to.deep.equal(['x', 'x', 'x', 'x']);
    expect(sent.slice(-2)).to.have.members(['a x', 'b x']);
  });
});
