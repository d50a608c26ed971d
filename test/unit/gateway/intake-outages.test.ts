import { expect } from 'chai';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import type { PublishOptions } from '../../../src/core/broker';
import { createEnvelope, type Envelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import type { MessageStatus } from '../../../src/core/message-status';
import type { ReceiveOptions, StageEvent, TransitionOptions, TransitionResult } from '../../../src/core/transaction-log';
import { bodyHash, MessageIntake } from '../../../src/gateway/message-intake';
import { RecoverySweep } from '../../../src/gateway/recovery-sweep';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { eventually } from '../../support/http';

/** A bus whose publishes can be held, made to fail, or made to "lose" the confirm of a stored message. */
class ScriptedBroker extends MemoryBroker {
  readonly published: string[] = [];
  /** Runs before each publish; may throw (a refused publish) or wait. */
  before: ((message: Envelope) => Promise<void>) | undefined;
  /** Runs after a publish stored the message; may throw (a confirm lost after the broker stored it). */
  after: ((message: Envelope) => Promise<void>) | undefined;

  override async publish(destination: string, message: Envelope, options: PublishOptions = {}): Promise<void> {
    await this.before?.(message);
    await super.publish(destination, message, options);
    this.published.push(message.id);
    await this.after?.(message);
  }
}

/** A log whose next insert is committed, then reported as failed (the connection died during COMMIT). */
class LosingCommitLog extends FakeTransactionLog {
  loseNextCommit = false;

  override async recordReceived(message: Envelope, options?: ReceiveOptions): Promise<void> {
    await super.recordReceived(message, options);
    if (this.loseNextCommit) {
      this.loseNextCommit = false;
      throw new JunctionError('JCT_STORE_UNAVAILABLE', 'The transaction log (test) is unavailable: connection lost (PROTOCOL_CONNECTION_LOST).',
        { details: { driverCode: 'PROTOCOL_CONNECTION_LOST' } });
    }
  }
}

/** A log whose QUEUED marks wait until `release()` (or fail, with `failQueued`). */
class HeldQueuedLog extends LosingCommitLog {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  failQueued = false;

  hold(): void {
    this.gate = new Promise<void>((resolve) => { this.open = resolve; });
  }

  release(): void {
    this.open?.();
  }

  override async transition(messageId: string, event: StageEvent, from?: readonly MessageStatus[], options?: TransitionOptions): Promise<TransitionResult> {
    if (event.status === 'QUEUED') {
      await this.gate;
      if (this.failQueued) throw new JunctionError('JCT_STORE_UNAVAILABLE', 'The transaction log (test) is unavailable.');
    }
    return super.transition(messageId, event, from, options);
  }
}

const unavailable = (): JunctionError => new JunctionError('JCT_BROKER_UNAVAILABLE', 'RabbitMQ did not confirm the message within 5000 ms.');

async function rejection(work: Promise<unknown>): Promise<JunctionError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof JunctionError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('MessageIntake when the broker or the log fails mid-request (fake log, scripted bus)', () => {
  let log: LosingCommitLog;
  let broker: ScriptedBroker;
  let intake: MessageIntake;
  const body = '{"orderId":"o-1","amount":"250.00"}';
  const order = (): Envelope => createEnvelope({ routeId: 'orders', pattern: 'one-way', source: 'test', contentType: 'application/json', body });
  const key = { idempotencyKey: 'k-1' };

  beforeEach(async () => {
    log = new LosingCommitLog();
    broker = new ScriptedBroker();
    await broker.start();
    await broker.declare(['orders']);
    intake = new MessageIntake({ log, broker, logger: silentLogger, repeatWaitMs: 2000, abandonedAfterMs: 60_000 });
  });
  afterEach(async () => {
    await intake.close();
    await broker.close();
  });

  it('a publish reported failed although a worker already has the message (confirm lost) is accepted, not refused', async () => {
    const message = order();
    broker.after = async (m) => {
      await log.transition(m.id, { stage: 'processing', status: 'PROCESSING', attempt: 1 }); // a worker took it at once
      throw unavailable();
    };
    const accepted = await intake.accept(message);
    expect(accepted).to.deep.include({ messageId: message.id, replayed: false });
    expect((await log.load(message.id))?.status).to.equal('PROCESSING');
  });

  it('a publish that fails outright is refused (503) and the message marked FAILED, never published later', async () => {
    const message = order();
    broker.before = async () => { throw unavailable(); };
    expect((await rejection(intake.accept(message))).code).to.equal('JCT_BROKER_UNAVAILABLE');
    const record = await log.load(message.id);
    expect(record?.status).to.equal('FAILED');
    expect(record?.stages.at(-1)).to.deep.include({ stage: 'publish', detail: 'refused to the caller' });
  });

  it('a repeat that arrives while the first request is still publishing waits for its outcome: refused → published again, never "accepted" for a refused message', async () => {
    let fail!: () => void;
    const held = new Promise<void>((resolve) => { fail = resolve; });
    broker.before = async () => {
      broker.before = undefined; // only the first publish is held, then refused
      await held;
      throw unavailable();
    };
    const first = order();
    const firstAnswer = rejection(intake.accept(first, key));
    await eventually(async () => ((await log.load(first.id)) ? true : undefined));
    const repeat = intake.accept(order(), key);
    await new Promise((r) => setTimeout(r, 50));
    fail();
    expect((await firstAnswer).code).to.equal('JCT_BROKER_UNAVAILABLE');
    const answered = await repeat;
    expect(answered).to.deep.include({ messageId: first.id, replayed: false, status: 'QUEUED' });
    const record = await log.load(first.id);
    expect(record?.status).to.equal('QUEUED');
    expect(record?.stages.map((s) => s.stage)).to.deep.equal(['received', 'publish', 'resubmitted', 'queued']);
    expect(broker.published).to.deep.equal([first.id]);
  });

  it('a repeat that finds the first message still RECEIVED and its request gone answers 409 until that request is abandoned, then takes it over', async () => {
    const first = order();
    await log.recordReceived(first, { idempotencyKey: 'k-1', bodyHash: bodyHash(body) }); // a gateway that died right after recording
    const impatient = new MessageIntake({ log, broker, logger: silentLogger, repeatWaitMs: 50, abandonedAfterMs: 60_000 });
    const waited = await rejection(impatient.accept(order(), key));
    expect(waited.code).to.equal('JCT_IDEMPOTENCY_IN_PROGRESS');
    expect(waited.details).to.deep.include({ messageId: first.id, status: 'RECEIVED' });

    const later = new MessageIntake({ log, broker, logger: silentLogger, repeatWaitMs: 50, abandonedAfterMs: 1 });
    await new Promise((r) => setTimeout(r, 5));
    const answered = await later.accept(order(), key);
    expect(answered).to.deep.include({ messageId: first.id, replayed: false, status: 'QUEUED' });
    expect(broker.published).to.deep.equal([first.id]);
    const record = await log.load(first.id);
    expect(record?.stages.map((s) => `${s.stage} ${s.status}`)).to.deep.equal(['received RECEIVED', 'publish FAILED', 'resubmitted RECEIVED', 'queued QUEUED']);
    // The recovery sweep finds nothing left to publish.
    expect((await new RecoverySweep({ log, broker, logger: silentLogger, graceMs: 0 }).sweep(new Date(Date.now() + 1000))).published).to.deep.equal([]);
    await impatient.close();
    await later.close();
  });

  it('an insert reported failed that was committed after all (503 to the caller) is marked refused once the log answers; the sweep never publishes it', async () => {
    const message = order();
    log.loseNextCommit = true;
    expect((await rejection(intake.accept(message))).code).to.equal('JCT_STORE_UNAVAILABLE');
    expect(intake.isRefusalPending(message.id)).to.equal(true);
    const sweep = new RecoverySweep({ log, broker, logger: silentLogger, graceMs: 0, refused: (id) => intake.isRefusalPending(id) });
    expect((await sweep.sweep(new Date(Date.now() + 1000))).skipped).to.deep.equal([message.id]);
    await eventually(async () => ((await log.load(message.id))?.status === 'FAILED' ? true : undefined), 5000, 50);
    expect(intake.isRefusalPending(message.id)).to.equal(false);
    const record = await log.load(message.id);
    expect(record?.stages.at(-1)?.detail).to.match(/^refused to the caller/);
    expect((await sweep.sweep(new Date(Date.now() + 1000))).published).to.deep.equal([]);
    expect(broker.published).to.deep.equal([]);
  });

  it('a synchronous call whose reply cannot arrive any more (connection lost after the publish) is told the message was accepted, not 503', async () => {
    const message = createEnvelope({ routeId: 'orders', pattern: 'request-reply', source: 'test', contentType: 'application/json', body });
    const lost = new JunctionError('JCT_BROKER_UNAVAILABLE', 'The connection to RabbitMQ was lost before the reply arrived.');
    broker.expectReply = () => {
      const reply = Promise.reject(lost);
      reply.catch(() => undefined);
      return { reply, cancel: () => undefined };
    };
    const error = await rejection(intake.request(message, 5000));
    expect(error.code).to.equal('JCT_REPLY_TIMEOUT');
    expect(error.httpStatus).to.equal(504);
    expect(error.message).to.contain(`Message ${message.id} was accepted`);
    expect(error.details).to.deep.include({ messageId: message.id });
    expect((await log.load(message.id))?.status).to.equal('QUEUED');
  });

  it('an insert that certainly never reached the database (connection refused) leaves nothing to mark', async () => {
    log.failNext = [new JunctionError('JCT_STORE_UNAVAILABLE', 'refused', { details: { driverCode: 'ECONNREFUSED' } })];
    const message = order();
    expect((await rejection(intake.accept(message))).code).to.equal('JCT_STORE_UNAVAILABLE');
    expect(intake.isRefusalPending(message.id)).to.equal(false);
  });
});

describe('MessageIntake and the QUEUED mark (fake log)', () => {
  let log: HeldQueuedLog;
  let broker: MemoryBroker;
  let intake: MessageIntake;
  const order = (): Envelope => createEnvelope({ routeId: 'orders', pattern: 'one-way', source: 'test', contentType: 'application/json', body: '{"orderId":"o-1"}' });

  beforeEach(async () => {
    log = new HeldQueuedLog();
    broker = new MemoryBroker();
    await broker.start();
    await broker.declare(['orders']);
    intake = new MessageIntake({ log, broker, logger: silentLogger });
  });
  afterEach(async () => {
    log.release();
    await intake.close();
    await broker.close();
  });

  it('without an idempotency key, "accepted" waits for the log and the broker, not for the QUEUED mark, which still lands', async () => {
    log.hold();
    const message = order();
    const accepted = await intake.accept(message);
    expect(accepted).to.deep.include({ messageId: message.id, status: 'QUEUED' });
    expect((await log.load(message.id))?.status, 'recorded before the answer').to.equal('RECEIVED');
    log.release();
    await eventually(async () => ((await log.load(message.id))?.status === 'QUEUED' ? true : undefined), 2000, 5);
  });

  it('without a key, a QUEUED mark that fails leaves the message RECEIVED and accepted (the recovery sweep publishes it again; the worker skips a settled copy)', async () => {
    log.failQueued = true;
    const message = order();
    expect(await intake.accept(message)).to.deep.include({ messageId: message.id });
    expect((await log.load(message.id))?.status).to.equal('RECEIVED');
  });

  it('with an idempotency key, the answer waits for the QUEUED mark (a repeat may take the message over meanwhile)', async () => {
    log.hold();
    const message = order();
    let answered = false;
    const accepting = intake.accept(message, { idempotencyKey: 'k-queued' }).then((a) => { answered = true; return a; });
    await eventually(async () => ((await broker.queueDepth('orders')).ready === 1 ? true : undefined), 2000, 5);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered, 'answered before QUEUED was written').to.equal(false);
    log.release();
    expect(await accepting).to.deep.include({ messageId: message.id, status: 'QUEUED' });
    expect((await log.load(message.id))?.status).to.equal('QUEUED');
  });
});
