import { expect } from 'chai';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import type { Endpoint } from '../../../src/core/endpoint';
import { createEnvelope, withChanges, type Envelope } from '../../../src/core/envelope';
import type { LogFields, Logger } from '../../../src/core/logger';
import type { MessageRecord } from '../../../src/core/transaction-log';
import type { CompiledRoute } from '../../../src/routes/compiled-route';
import { HELD_HEADER, RouteWorker } from '../../../src/routes/route-worker';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { JunctionError } from '../../../src/core/errors';
import type { PublishOptions } from '../../../src/core/broker';

/** A logger keeping every line (level and message), children included. */
function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: () => undefined,
    info: (message: string, _fields?: LogFields) => { lines.push(`info ${message}`); },
    warn: (message: string, _fields?: LogFields) => { lines.push(`warn ${message}`); },
    error: (message: string, _fields?: LogFields) => { lines.push(`error ${message}`); },
    child: () => logger,
  };
  return logger;
}

/** A log on which "another handling" settles the message at a chosen moment: the next load(). */
class RacingLog extends FakeTransactionLog {
  beforeNextLoad: (() => Promise<void>) | undefined;

  override async load(messageId: string): Promise<MessageRecord | undefined> {
    const race = this.beforeNextLoad;
    this.beforeNextLoad = undefined;
    await race?.();
    return super.load(messageId);
  }
}

/**
 * Two handlings of one message in two worker processes: a redelivered copy takes over a message
 * the log shows PROCESSING (docs/delivery.md, "Limits, honestly") while the first handling is in
 * fact still running, and the first records DELIVERED before the second does. The second must not
 * log "message delivered" as if the outcome were its own: one delivery, one such line.
 */
describe('RouteWorker: a copy that took over a message another handling then settles', () => {
  const route: CompiledRoute = { id: 'orders', pattern: 'one-way', replyTimeoutMs: 1000, steps: [], replySteps: [], deliveries: [{ endpoint: 'backend', steps: [] }], capture: 'original' };
  let sent: string[];
  let lines: string[];
  let log: RacingLog;
  let onSend: (() => Promise<void>) | undefined;
  let worker: RouteWorker;

  beforeEach(() => {
    sent = [];
    lines = [];
    onSend = undefined;
    log = new RacingLog();
    const endpoint: Endpoint = {
      name: 'backend', start: async () => undefined, close: async () => undefined,
      send: async (message) => { sent.push(message.id); await onSend?.(); return { contentType: 'application/json', body: '{}' }; },
      preview: async (message) => ({ method: 'POST', url: 'http://backend.invalid/', headers: {}, body: message.body }),
    };
    worker = new RouteWorker({ broker: new MemoryBroker(), log, logger: recordingLogger(lines), prefetch: 1, routes: { routes: [route], endpoints: new Map([['backend', endpoint]]), soapServices: [] } });
  });

  async function processing(): Promise<Envelope> {
    const message = createEnvelope({ routeId: 'orders', pattern: 'one-way', source: 'test', contentType: 'application/json', body: '{}' });
    await log.recordReceived(message);
    await log.transition(message.id, { stage: 'processing', status: 'PROCESSING', attempt: 1 });
    return message;
  }

  /** What the first handling (elsewhere) records once its backend has answered. */
  function firstHandlingRecords(id: string): () => Promise<void> {
    return async () => { await log.transition(id, { stage: 'deliver:backend', status: 'DELIVERED', attempt: 1, endpoint: 'backend' }, ['PROCESSING']); };
  }

  it('finding the first handling\'s delivery recorded before its own call: sends nothing and logs no "message delivered"', async () => {
    const message = await processing();
    log.beforeNextLoad = firstHandlingRecords(message.id); // between its begin and its look at the endpoints reached
    await worker.handle(route, message, { redelivered: true });
    expect(sent).to.deep.equal([]);
    expect(lines).to.include('info message already settled by another handling; nothing delivered');
    expect(lines).not.to.include('info message delivered');
    const record = await log.load(message.id);
    expect(record?.status).to.equal('DELIVERED');
    expect(record?.stages.filter((s) => s.status === 'DELIVERED')).to.have.length(1);
  });

  it('settled by the first handling while its own call ran: a warning that the backend got the id twice, no "message delivered"', async () => {
    const message = await processing();
    onSend = firstHandlingRecords(message.id);
    await worker.handle(route, message, { redelivered: true });
    expect(sent).to.deep.equal([message.id]);
    expect(lines.filter((l) => l.startsWith('warn message delivered again: another handling had settled it DELIVERED'))).to.have.length(1);
    expect(lines).not.to.include('info message delivered');
  });

  it('left RETRYING by the first handling while its own call ran: the delivery is kept on record, so the next try sends nothing', async () => {
    const message = await processing();
    onSend = async () => {
      onSend = undefined;
      await log.transition(message.id, { stage: 'retry', status: 'RETRYING', attempt: 1 }, ['PROCESSING']);
    };
    await worker.handle(route, message, { redelivered: true });
    const record = await log.load(message.id);
    expect(record?.status, 'the outcome recorded first stands').to.equal('RETRYING');
    expect(record?.stages.at(-1)).to.deep.include({ stage: 'deliver:backend', status: 'RETRYING' });
    await worker.handle(route, withChanges(message, { attempt: 2 }), { redelivered: false });
    expect(sent, 'the backend has it once').to.deep.equal([message.id]);
    expect((await log.load(message.id))?.status).to.equal('DELIVERED');
  });

  it('a takeover nobody races logs "message delivered" once, as any delivery', async () => {
    const message = await processing();
    await worker.handle(route, message, { redelivered: true });
    expect(sent).to.deep.equal([message.id]);
    expect(lines.filter((l) => l === 'info message delivered')).to.have.length(1);
    expect((await log.load(message.id))?.status).to.equal('DELIVERED');
  });
});

/**
 * The same race with several recipients, where each delivery is recorded as it happens (a
 * PROCESSING stage): the first handling settles the message while this one's calls run. Those
 * writes must never move the settled status back to PROCESSING — else this handling's closing
 * DELIVERED would overwrite the other's FAILED (or a RETRYING message would end DELIVERED with a
 * recipient never reached).
 */
describe('RouteWorker: a takeover with several recipients never moves a settled status back', () => {
  const route: CompiledRoute = {
    id: 'orders', pattern: 'one-way', replyTimeoutMs: 1000, steps: [], replySteps: [], capture: 'steps',
    deliveries: [{ endpoint: 'erp', steps: [] }, { endpoint: 'oa', steps: [] }],
  };
  let lines: string[];
  let log: FakeTransactionLog;
  let onSend: ((endpoint: string) => Promise<void>) | undefined;
  let worker: RouteWorker;

  beforeEach(() => {
    lines = [];
    onSend = undefined;
    log = new FakeTransactionLog();
    const endpoint = (name: string): Endpoint => ({
      name, start: async () => undefined, close: async () => undefined,
      send: async () => { await onSend?.(name); return { contentType: 'application/json', body: '{}' }; },
      preview: async (message) => ({ method: 'POST', url: 'http://backend.invalid/', headers: {}, body: message.body }),
    });
    worker = new RouteWorker({
      broker: new MemoryBroker(), log, logger: recordingLogger(lines), prefetch: 1,
      routes: { routes: [route], endpoints: new Map([['erp', endpoint('erp')], ['oa', endpoint('oa')]]), soapServices: [] },
    });
  });

  async function processing(): Promise<Envelope> {
    const message = createEnvelope({ routeId: 'orders', pattern: 'one-way', source: 'test', contentType: 'application/json', body: '{}' });
    await log.recordReceived(message);
    await log.transition(message.id, { stage: 'processing', status: 'PROCESSING', attempt: 1 });
    return message;
  }

  for (const settled of ['FAILED', 'RETRYING', 'DELIVERED'] as const) {
    it(`the other handling ends it ${settled} while this one delivers: it stays ${settled}`, async () => {
      const message = await processing();
      let raced = false;
      onSend = async () => {
        if (raced) return;
        raced = true;
        await log.transition(message.id, { stage: 'elsewhere', status: settled, attempt: 1 }, ['PROCESSING']);
      };
      await worker.handle(route, message, { redelivered: true });
      const record = await log.load(message.id);
      expect(record?.status).to.equal(settled);
      const after = record?.stages.slice(record.stages.findIndex((s) => s.stage === 'elsewhere') + 1) ?? [];
      // Waiting for another try, the message keeps this handling's deliveries (with its status): see below.
      if (settled === 'RETRYING') expect(after.every((s) => s.stage.startsWith('deliver:') && s.status === 'RETRYING')).to.equal(true);
      else expect(after).to.deep.equal([]);
      expect(lines).not.to.include('info message delivered');
      expect(lines.filter((l) => l.startsWith('warn ') && l.includes(`settled it ${settled}`))).to.have.length.greaterThan(0);
    });
  }

  for (const waiting of ['RETRYING', 'HELD'] as const) {
    it(`the other handling leaves it ${waiting} while this one delivers: the deliveries stay on record, so the next try sends nothing again`, async () => {
      const message = await processing();
      const calls: string[] = [];
      let raced = false;
      onSend = async (name) => {
        calls.push(`${name}#${message.attempt}`);
        if (raced) return;
        raced = true;
        await log.transition(message.id, { stage: waiting === 'HELD' ? 'held' : 'retry', status: waiting, attempt: 1 }, ['PROCESSING']);
      };
      await worker.handle(route, message, { redelivered: true });
      const record = await log.load(message.id);
      expect(record?.status).to.equal(waiting);
      expect(record?.stages.filter((s) => s.stage.startsWith('deliver:')).map((s) => [s.stage, s.status]).sort())
        .to.deep.equal([['deliver:erp', waiting], ['deliver:oa', waiting]]);
      expect(lines.filter((l) => l.startsWith('warn delivered to a recipient'))).to.deep.equal([]);

      // The copy the other handling scheduled: both recipients have the message already.
      const next = waiting === 'HELD'
        ? withChanges(message, { headers: { ...message.headers, [HELD_HEADER]: '1' } })
        : withChanges(message, { attempt: 2 });
      await worker.handle(route, next, { redelivered: false });
      expect(calls.sort()).to.deep.equal(['erp#1', 'oa#1']);
      expect((await log.load(message.id))?.status).to.equal('DELIVERED');
    });
  }

  it('unraced, every delivery and the closing DELIVERED are recorded', async () => {
    const message = await processing();
    await worker.handle(route, message, { redelivered: true });
    const record = await log.load(message.id);
    expect(record?.status).to.equal('DELIVERED');
    expect(record?.stages.map((s) => s.stage)).to.include.members(['deliver:erp', 'deliver:oa', 'delivered']);
    expect(lines).to.include('info message delivered');
  });
});

/** A bus that counts the copies scheduled for later (retries and holds). */
class SchedulingBroker extends MemoryBroker {
  scheduled: Envelope[] = [];
  override async publishDelayed(_destination: string, message: Envelope, _delayMs: number, _options?: PublishOptions): Promise<void> {
    this.scheduled.push(message);
  }
}

/**
 * A copy that took over fails at its endpoint (retryable, or behind an open circuit) while the
 * other handling settles the message: its RETRYING/HELD is not recorded (the message is no longer
 * PROCESSING), and it must not schedule a copy either — that would start a second chain of tries
 * for a message whose outcome is already decided.
 */
describe('RouteWorker: a takeover whose try fails after another handling settled the message', () => {
  const route: CompiledRoute = {
    id: 'orders', pattern: 'one-way', replyTimeoutMs: 1000, steps: [], replySteps: [], capture: 'original',
    deliveries: [{ endpoint: 'erp', steps: [] }], retry: { attempts: 3, initialDelayMs: 100, multiplier: 2, maxDelayMs: 1000, jitter: 0 },
  };

  for (const [failure, code] of [['a retryable error', 'JCT_ENDPOINT_UNREACHABLE'], ['an open circuit', 'JCT_ENDPOINT_CIRCUIT_OPEN']] as const) {
    it(`with ${failure}: no copy scheduled, the settled outcome stands, and the warning says so`, async () => {
      const log = new FakeTransactionLog();
      const broker = new SchedulingBroker();
      const lines: string[] = [];
      const message = createEnvelope({ routeId: 'orders', pattern: 'one-way', source: 'test', contentType: 'application/json', body: '{}' });
      await log.recordReceived(message);
      await log.transition(message.id, { stage: 'processing', status: 'PROCESSING', attempt: 1 });
      const endpoint: Endpoint = {
        name: 'erp', start: async () => undefined, close: async () => undefined,
        send: async () => {
          await log.transition(message.id, { stage: 'deliver:erp', status: 'DELIVERED', attempt: 1, endpoint: 'erp' }, ['PROCESSING']);
          throw new JunctionError(code, 'erp is down', { details: { endpoint: 'erp', retryAfterMs: 500 } });
        },
        preview: async (m) => ({ method: 'POST', url: 'http://erp.invalid/', headers: {}, body: m.body }),
      };
      const worker = new RouteWorker({ broker, log, logger: recordingLogger(lines), prefetch: 1, routes: { routes: [route], endpoints: new Map([['erp', endpoint]]), soapServices: [] } });
      await worker.handle(route, message, { redelivered: true });
      expect(broker.scheduled, 'copies scheduled').to.deep.equal([]);
      const record = await log.load(message.id);
      expect(record?.status).to.equal('DELIVERED');
      expect(lines).to.include('warn not scheduling another try: another handling had settled it DELIVERED meanwhile; that outcome stands');
    });
  }
});

/**
 * A slow handling of attempt 1 whose message another copy took over and carried on: the other
 * failed fast (RETRYING, a copy of attempt 2), and attempt 2 has begun (PROCESSING) when the slow
 * one fails. Its RETRYING, HELD or FAILED must not be recorded — that status would make the log
 * wait for a copy (attempt 2) whose try is already running, and refuse every later one — and it
 * must schedule nothing and answer nobody: attempt 2 decides.
 */
describe('RouteWorker: a slow handling overtaken by a later attempt', () => {
  const route: CompiledRoute = {
    id: 'orders', pattern: 'request-reply', replyTimeoutMs: 10_000, steps: [], replySteps: [], capture: 'original',
    deliveries: [{ endpoint: 'erp', steps: [] }], retry: { attempts: 3, initialDelayMs: 100, multiplier: 2, maxDelayMs: 1000, jitter: 0 },
  };

  for (const [failure, code, retryable] of [
    ['a retryable error', 'JCT_ENDPOINT_UNREACHABLE', true],
    ['an open circuit', 'JCT_ENDPOINT_CIRCUIT_OPEN', true],
    ['a permanent error', 'JCT_ENDPOINT_REJECTED', false],
  ] as const) {
    it(`with ${failure}: no status written, no copy scheduled, no answer sent; the later attempt decides`, async () => {
      const log = new FakeTransactionLog();
      const broker = new SchedulingBroker();
      const replies: unknown[] = [];
      broker.reply = async (_to, reply) => { replies.push(reply); };
      const lines: string[] = [];
      const message = createEnvelope({ routeId: 'orders', pattern: 'request-reply', source: 'test', contentType: 'application/json', body: '{}' });
      await log.recordReceived(message);
      const endpoint: Endpoint = {
        name: 'erp', start: async () => undefined, close: async () => undefined,
        send: async () => {
          // Meanwhile: the copy that took over failed fast, and attempt 2 began.
          await log.transition(message.id, { stage: 'retry', status: 'RETRYING', attempt: 1 }, ['PROCESSING']);
          await log.transition(message.id, { stage: 'processing', status: 'PROCESSING', attempt: 2 }, ['RETRYING']);
          throw new JunctionError(code, 'erp failed', { retryable, details: { endpoint: 'erp', retryAfterMs: 500 } });
        },
        preview: async (m) => ({ method: 'POST', url: 'http://erp.invalid/', headers: {}, body: m.body }),
      };
      const worker = new RouteWorker({ broker, log, logger: recordingLogger(lines), prefetch: 1, routes: { routes: [route], endpoints: new Map([['erp', endpoint]]), soapServices: [] } });
      await worker.handle(route, message, { redelivered: false, replyTo: 'caller' });
      expect(broker.scheduled, 'copies scheduled').to.deep.equal([]);
      expect(replies, 'answers sent').to.deep.equal([]);
      const record = await log.load(message.id);
      expect(record?.status).to.equal('PROCESSING');
      expect(record?.stages.map((s) => `${s.stage}@${s.attempt}`)).to.deep.equal(['received@1', 'processing@1', 'retry@1', 'processing@2']);
      const not = failure === 'a permanent error' ? 'recording FAILED' : 'scheduling another try';
      expect(lines).to.include(`warn not ${not}: another handling has carried it on to a later try meanwhile; that one decides`);
    });
  }
});
