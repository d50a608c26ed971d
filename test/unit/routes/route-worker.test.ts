import { expect } from 'chai';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { createEnvelope } from '../../../src/core/envelope';
import type { Endpoint } from '../../../src/core/endpoint';
import { DEADLINE_HEADER } from '../../../src/core/headers';
import { silentLogger } from '../../../src/core/logger';
import type { CompiledRoute } from '../../../src/routes/compiled-route';
import { RouteWorker } from '../../../src/routes/route-worker';
import { FakeTransactionLog } from '../../support/fake-transaction-log';

describe('RouteWorker', () => {
  const sent: string[] = [];
  const endpoint: Endpoint = {
    name: 'backend', start: async () => undefined, close: async () => undefined,
    send: async (message) => { sent.push(message.id); return { contentType: 'application/json', body: '{"ok":true}' }; },
    preview: async (message) => ({ method: 'POST', url: 'http://backend.invalid/', headers: {}, body: message.body }),
  };
  const route: CompiledRoute = { id: 'sync', pattern: 'request-reply', replyTimeoutMs: 1000, steps: [], replySteps: [], deliveries: [{ endpoint: 'backend', steps: [] }], capture: 'original' };
  let log: FakeTransactionLog;
  let worker: RouteWorker;

  beforeEach(() => {
    sent.length = 0;
    log = new FakeTransactionLog();
    worker = new RouteWorker({ broker: new MemoryBroker(), log, logger: silentLogger, prefetch: 1, routes: { routes: [route], endpoints: new Map([['backend', endpoint]]), soapServices: [] } });
  });

  function request(deadline: Date) {
    return createEnvelope({ routeId: 'sync', pattern: 'request-reply', source: 'test', contentType: 'application/json', body: '{}', headers: { [DEADLINE_HEADER]: deadline.toISOString() } });
  }

  it('does not deliver a request whose caller stopped waiting before processing began', async () => {
    const message = request(new Date(Date.now() - 1));
    await log.recordReceived(message);
    await worker.handle(route, message, { redelivered: false });
    const record = await log.load(message.id);
    expect(record?.status).to.equal('FAILED');
    expect(record?.lastError?.code).to.equal('JCT_REPLY_TIMEOUT');
    expect(record?.stages.at(-1)?.stage).to.equal('expired');
    expect(sent).to.deep.equal([]);
  });

  it('finishes a request whose processing had begun before the deadline (redelivered mid-way)', async () => {
    const message = request(new Date(Date.now() - 1));
    await log.recordReceived(message);
    await log.transition(message.id, { stage: 'processing', status: 'PROCESSING', attempt: 1 });
    await worker.handle(route, message, { redelivered: true });
    expect((await log.load(message.id))?.status).to.equal('DELIVERED');
    expect(sent).to.deep.equal([message.id]);
  });

  it('never delivers a message the log shows settled', async () => {
    const message = request(new Date(Date.now() + 60_000));
    await log.recordReceived(message);
    await log.transition(message.id, { stage: 'deliver:backend', status: 'DELIVERED', attempt: 1 });
    await worker.handle(route, message, { redelivered: true });
    expect(sent).to.deep.equal([]);
  });

  it('records a message that reached the bus without a log row, then processes it', async () => {
    const message = request(new Date(Date.now() + 60_000));
    await worker.handle(route, message, { redelivered: false });
    expect((await log.load(message.id))?.status).to.equal('DELIVERED');
  });

  it('delivers a message tried again only to the recipients it has not reached yet', async () => {
    const reached: string[] = [];
    const recipient = (name: string): Endpoint => ({
      name, start: async () => undefined, close: async () => undefined,
      preview: async (m) => ({ method: 'POST', url: `http://${name}.invalid/`, headers: {}, body: m.body }),
      send: async () => { reached.push(name); return { contentType: 'application/json', body: '{}' }; },
    });
    const fanOut: CompiledRoute = { ...route, id: 'fan', pattern: 'one-way', deliveries: [{ endpoint: 'a', steps: [] }, { endpoint: 'b', steps: [] }] };
    const fanWorker = new RouteWorker({
      broker: new MemoryBroker(), log, logger: silentLogger, prefetch: 1,
      routes: { routes: [fanOut], endpoints: new Map([['a', recipient('a')], ['b', recipient('b')]]), soapServices: [] },
    });
    const message = createEnvelope({ routeId: 'fan', pattern: 'one-way', source: 'test', contentType: 'application/json', body: '{}' });
    await log.recordReceived(message);
    await log.transition(message.id, { stage: 'processing', status: 'PROCESSING', attempt: 1 });
    await log.transition(message.id, { stage: 'deliver:a', status: 'PROCESSING', attempt: 1, endpoint: 'a' });
    await fanWorker.handle(fanOut, message, { redelivered: true });
    expect(reached).to.deep.equal(['b']);
    const record = await log.load(message.id);
    expect(record?.status).to.equal('DELIVERED');
    expect(record?.stages.at(-1)?.detail).to.equal('to a, b (already reached before: a)');
  });
});
