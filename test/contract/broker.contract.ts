import { expect } from 'chai';
import type { Broker, Delivery, Reply, Subscription } from '../../src/core/broker';
import { createEnvelope, withChanges, type Envelope } from '../../src/core/envelope';
import { JunctionError, type SerializedError } from '../../src/core/errors';
import type { RecordingLogger } from '../integration/bus/recording-logger';
import { expectJunctionError, gate, Inbox, settledWithin, sleep, testEnvelope, waitUntil } from './broker.helpers';

/**
 * What a contract factory hands over: a started broker (requeue delay ≤ 100 ms) logging at every
 * level into `logs`, and how to tidy up after it.
 */
export interface BrokerFixture {
  readonly broker: Broker;
  readonly logs: RecordingLogger;
  readonly cleanup: () => Promise<void>;
  /** Takes the messages parked on a destination's dead-letter queue, oldest first, with their errors. */
  readonly takeDeadLetters: (destination: string) => Promise<{ message: Envelope; error: SerializedError }[]>;
}

/** How long a test watches for a message that must not come. */
const QUIET_MS = 300;

/**
 * The behaviour every Broker implementation must show. `factory` is called once per test and
 * returns a started broker; the suite closes it and then calls `cleanup`.
 */
export function brokerContract(name: string, factory: () => Promise<BrokerFixture>): void {
  describe(`Broker contract: ${name}`, function () {
    this.timeout(30_000);
    let fixture: BrokerFixture;
    let broker: Broker;
    let counter = 0;
    const destination = (): string => `contract-${Date.now().toString(36)}-${(counter += 1)}`;

    beforeEach(async () => {
      fixture = await factory();
      broker = fixture.broker;
    });
    afterEach(async () => {
      await broker.close();
      await fixture.cleanup();
    });

    it('round trip keeps the envelope exactly (unicode, "250.00", a 1 MB body)', async () => {
      const dest = destination();
      await broker.declare([dest]);
      const unicode = createEnvelope({
        routeId: dest, pattern: 'request-reply', source: 'rest:PUT /api/v1/customers/{id}', contentType: 'application/json; charset=utf-8',
        body: '{"name":"Zoë Ångström 北京 🚀","amount":250.00,"price":"250.00","big":12345678901234567890}',
        headers: { 'x-request-id': 'r-1', 'x-note': 'ünïcødé ✓' }, correlationId: 'c-42', businessKey: 'o-1', replayOf: 'm-0',
      });
      const large = withChanges(testEnvelope(dest, `"${'é'.repeat(512 * 1024)}"`), { attempt: 3 });
      const sent = [unicode, large, testEnvelope(dest, '')];
      for (const envelope of sent) await broker.publish(dest, envelope);
      const inbox = new Inbox();
      await broker.consume(dest, inbox.handler, { prefetch: 10 });
      const received = await inbox.waitFor(sent.length);
      expect(received.map((r) => r.envelope)).to.deep.equal(sent);
      expect(Buffer.byteLength(large.body, 'utf8')).to.be.greaterThan(1024 * 1024);
      expect(received[0]?.envelope.body).to.equal(unicode.body);
    });

    it('delivers messages published before anyone consumes, in order', async () => {
      const dest = destination();
      await broker.declare([dest]);
      const sent = [1, 2, 3, 4, 5].map(() => testEnvelope(dest));
      for (const envelope of sent) await broker.publish(dest, envelope);
      await sleep(50);
      const inbox = new Inbox();
      await broker.consume(dest, inbox.handler, { prefetch: 1 });
      await inbox.waitFor(5);
      expect(inbox.ids()).to.deep.equal(sent.map((e) => e.id));
      expect(inbox.received.every((r) => !r.delivery.redelivered)).to.equal(true);
    });

    it('runs handlers asynchronously, never inside publish', async () => {
      const dest = destination();
      await broker.declare([dest]);
      let inPublish = false;
      const seen: boolean[] = [];
      await broker.consume(dest, async () => { seen.push(inPublish); }, { prefetch: 1 });
      inPublish = true;
      const publishing = broker.publish(dest, testEnvelope(dest));
      inPublish = false;
      await publishing;
      await waitUntil(() => seen.length === 1, 'the delivery');
      expect(seen).to.deep.equal([false]);
    });

    it('an acked message is gone: a new consumer after cancel receives nothing more', async () => {
      const dest = destination();
      await broker.declare([dest]);
      await broker.publish(dest, testEnvelope(dest));
      const first = new Inbox();
      const subscription = await broker.consume(dest, first.handler, { prefetch: 5 });
      await first.waitFor(1);
      await subscription.cancel();
      const second = new Inbox();
      await broker.consume(dest, second.handler, { prefetch: 5 });
      await sleep(QUIET_MS);
      expect(second.received).to.have.length(0);
    });

    it('a rejecting handler gets the message again with redelivered = true', async () => {
      const dest = destination();
      await broker.declare([dest]);
      const envelope = testEnvelope(dest);
      let calls = 0;
      const inbox = new Inbox(async () => {
        calls += 1;
        if (calls === 1) throw new Error('database down');
      });
      await broker.consume(dest, inbox.handler, { prefetch: 1 });
      await broker.publish(dest, envelope);
      const [first, second] = await inbox.waitFor(2);
      expect(first?.envelope).to.deep.equal(envelope);
      expect(first?.delivery.redelivered).to.equal(false);
      expect(second?.envelope).to.deep.equal(envelope);
      expect(second?.delivery.redelivered).to.equal(true);
      await sleep(QUIET_MS);
      expect(inbox.received).to.have.length(2);
    });

    it('prefetch bounds the handlers in flight', async () => {
      const dest = destination();
      await broker.declare([dest]);
      for (let i = 0; i < 12; i += 1) await broker.publish(dest, testEnvelope(dest));
      let active = 0;
      let maxActive = 0;
      const inbox = new Inbox(async () => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await sleep(40);
        active -= 1;
      });
      await broker.consume(dest, inbox.handler, { prefetch: 3 });
      await inbox.waitFor(12);
      expect(maxActive).to.equal(3);
    });

    it('two consumers compete: each message goes to exactly one', async () => {
      const dest = destination();
      await broker.declare([dest]);
      const a = new Inbox(() => sleep(5));
      const b = new Inbox(() => sleep(5));
      await broker.consume(dest, a.handler, { prefetch: 1 });
      await broker.consume(dest, b.handler, { prefetch: 1 });
      const sent = Array.from({ length: 40 }, () => testEnvelope(dest));
      await Promise.all(sent.map((e) => broker.publish(dest, e)));
      await waitUntil(() => a.received.length + b.received.length >= sent.length, 'all 40 deliveries');
      await sleep(QUIET_MS);
      const all = [...a.ids(), ...b.ids()];
      expect(all).to.have.length(sent.length);
      expect(new Set(all)).to.deep.equal(new Set(sent.map((e) => e.id)));
      expect(a.received.length).to.be.greaterThan(0);
      expect(b.received.length).to.be.greaterThan(0);
    });

    it('1,000 messages published concurrently all arrive exactly once', async () => {
      const dest = destination();
      await broker.declare([dest]);
      const sent = Array.from({ length: 1000 }, (_, i) => testEnvelope(dest, `{"n":${i}}`));
      await Promise.all(sent.map((e) => broker.publish(dest, e)));
      const inbox = new Inbox();
      await broker.consume(dest, inbox.handler, { prefetch: 100 });
      await inbox.waitFor(1000, 20_000);
      await sleep(QUIET_MS);
      expect(inbox.received).to.have.length(1000);
      expect(new Set(inbox.ids()).size).to.equal(1000);
    });

    it('publish to an undeclared destination rejects with JCT_BROKER_UNAVAILABLE naming it', async () => {
      const dest = destination();
      const error = await expectJunctionError(broker.publish(dest, testEnvelope(dest)), 'JCT_BROKER_UNAVAILABLE');
      expect(error.retryable).to.equal(true);
      expect(error.message).to.contain(dest);
      // The broker keeps working afterwards.
      const other = destination();
      await broker.declare([other]);
      await broker.publish(other, testEnvelope(other));
    });

    it('the same envelope published to a declared and an undeclared destination at once: only the latter rejects', async () => {
      const [declared, missing] = [destination(), destination()];
      await broker.declare([declared]);
      const envelope = testEnvelope(declared);
      const results = await Promise.allSettled([
        broker.publish(missing, envelope), broker.publish(declared, envelope), broker.publish(missing, envelope),
      ]);
      expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'fulfilled', 'rejected']);
      const inbox = new Inbox();
      await broker.consume(declared, inbox.handler, { prefetch: 1 });
      await inbox.waitFor(1);
    });

    it('consume of an undeclared destination rejects with JCT_BROKER_UNAVAILABLE', async () => {
      const dest = destination();
      const error = await expectJunctionError(broker.consume(dest, new Inbox().handler, { prefetch: 1 }), 'JCT_BROKER_UNAVAILABLE');
      expect(error.message).to.contain(dest);
    });

    it('cancel waits for handlers in flight, then their messages are acked', async () => {
      const dest = destination();
      await broker.declare([dest]);
      const release = gate();
      let finished = false;
      const inbox = new Inbox(async () => { await release.promise; finished = true; });
      const subscription: Subscription = await broker.consume(dest, inbox.handler, { prefetch: 1 });
      await broker.publish(dest, testEnvelope(dest));
      await inbox.waitFor(1);
      let cancelled = false;
      const cancelling = subscription.cancel().then(() => { cancelled = true; });
      await sleep(100);
      expect(cancelled, 'cancel resolved while a handler was in flight').to.equal(false);
      release.open();
      await cancelling;
      expect(finished).to.equal(true);
      const later = new Inbox();
      await broker.consume(dest, later.handler, { prefetch: 1 });
      await sleep(QUIET_MS);
      expect(later.received).to.have.length(0);
    });

    it('close waits for handlers in flight, is idempotent, and publishing afterwards rejects', async () => {
      const dest = destination();
      await broker.declare([dest]);
      let finished = false;
      const inbox = new Inbox(async () => { await sleep(150); finished = true; });
      await broker.consume(dest, inbox.handler, { prefetch: 1 });
      await broker.publish(dest, testEnvelope(dest));
      await inbox.waitFor(1);
      await Promise.all([broker.close(), broker.close()]);
      expect(finished).to.equal(true);
      await broker.close();
      await expectJunctionError(broker.publish(dest, testEnvelope(dest)), 'JCT_BROKER_UNAVAILABLE');
    });

    it('destinations are isolated', async () => {
      const [x, y] = [destination(), destination()];
      await broker.declare([x, y]);
      const toX = [testEnvelope(x), testEnvelope(x), testEnvelope(x)];
      const toY = [testEnvelope(y), testEnvelope(y)];
      await Promise.all([...toX.map((e) => broker.publish(x, e)), ...toY.map((e) => broker.publish(y, e))]);
      const inboxX = new Inbox();
      const inboxY = new Inbox();
      await broker.consume(x, inboxX.handler, { prefetch: 10 });
      await broker.consume(y, inboxY.handler, { prefetch: 10 });
      await inboxX.waitFor(3);
      await inboxY.waitFor(2);
      await sleep(QUIET_MS);
      expect(new Set(inboxX.ids())).to.deep.equal(new Set(toX.map((e) => e.id)));
      expect(new Set(inboxY.ids())).to.deep.equal(new Set(toY.map((e) => e.id)));
    });

    it('declare is idempotent and keeps waiting messages', async () => {
      const dest = destination();
      await broker.declare([dest]);
      await broker.publish(dest, testEnvelope(dest));
      await broker.declare([dest, dest]);
      const inbox = new Inbox();
      await broker.consume(dest, inbox.handler, { prefetch: 1 });
      await inbox.waitFor(1);
    });

    it('isConnected is true once started and false once closed', async () => {
      expect(broker.isConnected()).to.equal(true);
      await broker.close();
      expect(broker.isConnected()).to.equal(false);
    });

    it('queueDepth counts ready and dead-lettered messages; an undeclared destination rejects', async () => {
      const dest = destination();
      await broker.declare([dest]);
      expect(await broker.queueDepth(dest)).to.deep.equal({ ready: 0, deadLettered: 0 });
      await Promise.all([broker.publish(dest, testEnvelope(dest)), broker.publish(dest, testEnvelope(dest))]);
      await broker.deadLetter(dest, testEnvelope(dest), { code: 'JCT_INTERNAL', message: 'x', retryable: false });
      const depthBecomes = async (ready: number): Promise<void> => {
        const deadline = Date.now() + 5000;
        while ((await broker.queueDepth(dest)).ready !== ready && Date.now() < deadline) await sleep(20);
      };
      await depthBecomes(2);
      expect(await broker.queueDepth(dest)).to.deep.equal({ ready: 2, deadLettered: 1 });
      const inbox = new Inbox();
      await broker.consume(dest, inbox.handler, { prefetch: 10 });
      await inbox.waitFor(2);
      await depthBecomes(0);
      expect((await broker.queueDepth(dest)).ready).to.equal(0);
      await expectJunctionError(broker.queueDepth(destination()), 'JCT_BROKER_UNAVAILABLE');
    });

    describe('delayed publishing and dead letters', () => {
      it('publishDelayed: the message arrives after about the delay, not before, intact and persistent', async () => {
        const dest = destination();
        await broker.declare([dest]);
        const inbox = new Inbox();
        await broker.consume(dest, inbox.handler, { prefetch: 5 });
        const envelope = withChanges(testEnvelope(dest), { attempt: 2 });
        const started = Date.now();
        await broker.publishDelayed(dest, envelope, 300);
        await sleep(150);
        expect(inbox.received, 'arrived before half the delay').to.have.length(0);
        const [got] = await inbox.waitFor(1, 5000);
        const elapsed = Date.now() - started;
        expect(got?.envelope).to.deep.equal(envelope);
        expect(elapsed).to.be.at.least(250); // delays may be rounded by up to ±9 %
        expect(elapsed).to.be.below(2300);
      });

      it('publishDelayed: several delays come back in the order of their delays', async () => {
        const dest = destination();
        await broker.declare([dest]);
        const inbox = new Inbox();
        await broker.consume(dest, inbox.handler, { prefetch: 5 });
        const [late, early, now] = [testEnvelope(dest, '"late"'), testEnvelope(dest, '"early"'), testEnvelope(dest, '"now"')];
        await broker.publishDelayed(dest, late, 400);
        await broker.publishDelayed(dest, early, 60);
        await broker.publish(dest, now);
        await inbox.waitFor(3, 5000);
        expect(inbox.ids()).to.deep.equal([now.id, early.id, late.id]);
      });

      it('publishDelayed keeps replyTo: the delayed message is delivered with it', async () => {
        const dest = destination();
        await broker.declare([dest]);
        const inbox = new Inbox();
        await broker.consume(dest, inbox.handler, { prefetch: 5 });
        await broker.publishDelayed(dest, testEnvelope(dest), 30, { replyTo: broker.replyAddress() });
        const [got] = await inbox.waitFor(1, 5000);
        expect(got?.delivery.replyTo).to.equal(broker.replyAddress());
      });

      it('deadLetter parks the message with its error; it is not delivered to consumers', async () => {
        const dest = destination();
        await broker.declare([dest]);
        const inbox = new Inbox();
        await broker.consume(dest, inbox.handler, { prefetch: 5 });
        const envelope = withChanges(testEnvelope(dest), { attempt: 5 });
        const error: SerializedError = { code: 'JCT_ENDPOINT_SERVER_ERROR', message: 'ERP answered HTTP 503 «busy»', retryable: true, details: { status: 503 } };
        await broker.deadLetter(dest, envelope, error);
        await sleep(QUIET_MS);
        expect(inbox.received).to.have.length(0);
        const parked = await fixture.takeDeadLetters(dest);
        expect(parked).to.deep.equal([{ message: envelope, error }]);
      });

      it('deadLetter to an undeclared destination rejects with JCT_BROKER_UNAVAILABLE', async () => {
        const dest = destination();
        await expectJunctionError(broker.deadLetter(dest, testEnvelope(dest), { code: 'JCT_INTERNAL', message: 'x', retryable: false }), 'JCT_BROKER_UNAVAILABLE');
      });
    });

    describe('request-reply', () => {
      /** A request as a gateway makes it. */
      const request = (dest: string, body = '{"customerId":"c-1","amount":"250.00"}'): Envelope => createEnvelope({
        routeId: dest, pattern: 'request-reply', source: 'soap:crm/UpsertCustomer', contentType: 'application/json', body,
      });
      /** The answer a worker sends for `to`. */
      const answer = (to: Envelope, body = `{"for":"${to.id}","amount":"250.00"}`): Envelope => createEnvelope({
        routeId: to.routeId, pattern: 'request-reply', source: 'worker:test', contentType: 'application/json', body,
        correlationId: to.correlationId,
      });
      /** Consumes `dest` like a worker: answers every request at `delivery.replyTo` with `respond(request)`. */
      async function worker(dest: string, respond: (request: Envelope) => Reply | Promise<Reply>, prefetch = 10): Promise<Inbox> {
        const inbox = new Inbox(async ({ envelope, delivery }) => {
          if (delivery.replyTo === undefined) throw new Error('request without replyTo');
          await broker.reply(delivery.replyTo, await respond(envelope));
        });
        await broker.consume(dest, inbox.handler, { prefetch });
        return inbox;
      }
      const droppedReplies = (requestId: string): number => fixture.logs.lines.filter((line) =>
        line.message.startsWith('Dropping a reply no one is waiting for') && line.fields.requestId === requestId).length;

      it('round trip: the consumer sees delivery.replyTo, and its reply reaches the waiter exactly (unicode, "250.00")', async () => {
        const dest = destination();
        await broker.declare([dest]);
        const sent = request(dest, '{"name":"Zoë Ångström 北京 🚀","amount":250.00,"price":"250.00","big":12345678901234567890}');
        const reply = createEnvelope({
          routeId: dest, pattern: 'request-reply', source: 'worker:test', contentType: 'application/json; charset=utf-8',
          body: '{"customerId":"c-1","erpCustomerNo":"ERP-ü-0042","balance":"250.00","big":12345678901234567890,"note":"✓ 北京 🚀"}',
          headers: { 'x-note': 'ünïcødé ✓' }, correlationId: sent.correlationId, businessKey: 'c-1',
        });
        const inbox = await worker(dest, (got) => ({ requestId: got.id, outcome: 'ok', message: reply }));
        const pending = broker.expectReply(sent.id, 10_000);
        await broker.publish(dest, sent, { replyTo: broker.replyAddress() });
        const got = await pending.reply;
        expect(got).to.deep.equal({ requestId: sent.id, outcome: 'ok', message: reply });
        expect(got.outcome === 'ok' && got.message.body).to.equal(reply.body);
        const [delivered] = inbox.received;
        expect(delivered?.envelope).to.deep.equal(sent);
        expect(delivered?.delivery.replyTo).to.equal(broker.replyAddress());
      });

      it('a message published without replyTo has no delivery.replyTo; one with it keeps it when redelivered', async () => {
        const dest = destination();
        await broker.declare([dest]);
        let calls = 0;
        const inbox = new Inbox(async () => {
          calls += 1;
          if (calls === 2) throw new Error('first attempt at the request fails');
        });
        await broker.consume(dest, inbox.handler, { prefetch: 1 });
        await broker.publish(dest, testEnvelope(dest));
        await inbox.waitFor(1);
        await broker.publish(dest, request(dest), { replyTo: broker.replyAddress() });
        const [oneWay, first, again] = await inbox.waitFor(3);
        expect(oneWay?.delivery).to.deep.equal({ redelivered: false } satisfies Delivery);
        expect(first?.delivery).to.deep.equal({ redelivered: false, replyTo: broker.replyAddress() });
        expect(again?.delivery).to.deep.equal({ redelivered: true, replyTo: broker.replyAddress() });
      });

      it("an 'error' outcome round-trips the SerializedError exactly", async () => {
        const dest = destination();
        await broker.declare([dest]);
        const error: SerializedError = {
          code: 'JCT_ENDPOINT_REJECTED', message: 'ERP refused customer „Zoë“ — amount "250.00" ✗', retryable: false,
          violations: [{ path: '/amount', message: 'must be at most "250.00"' }, { path: '', message: 'ünïcødé' }],
          details: { endpoint: 'erp', status: 500, transient: false, amount: '250.00' },
        };
        await worker(dest, (got) => ({ requestId: got.id, outcome: 'error', error }));
        const sent = request(dest);
        const pending = broker.expectReply(sent.id, 10_000);
        await broker.publish(dest, sent, { replyTo: broker.replyAddress() });
        const got = await pending.reply;
        expect(got).to.deep.equal({ requestId: sent.id, outcome: 'error', error });
        if (got.outcome !== 'error') throw new Error('expected an error outcome');
        expect(JunctionError.fromJSON(got.error).toJSON()).to.deep.equal(error);
      });

      it('no reply in time rejects with JCT_REPLY_TIMEOUT after about timeoutMs; a late reply is dropped harmlessly', async () => {
        const dest = destination();
        await broker.declare([dest]);
        const sent = request(dest);
        const startedAt = Date.now();
        const pending = broker.expectReply(sent.id, 250);
        await broker.publish(dest, sent, { replyTo: broker.replyAddress() }); // nobody consumes yet
        const error = await expectJunctionError(pending.reply, 'JCT_REPLY_TIMEOUT');
        expect(Date.now() - startedAt).to.be.within(240, 2000);
        expect(error.message).to.equal(`No reply within 250 ms for message ${sent.id}`);
        expect(error.details).to.deep.equal({ messageId: sent.id });
        expect(error.retryable).to.equal(false);

        const inbox = await worker(dest, (got) => ({ requestId: got.id, outcome: 'ok', message: answer(got) }));
        await inbox.waitFor(1); // the late reply is sent ...
        await waitUntil(() => droppedReplies(sent.id) === 1, 'the late reply to be dropped with a debug line');
        // ... and the broker carries on: the same id may be waited for again and answered.
        const again = broker.expectReply(sent.id, 10_000);
        await broker.reply(broker.replyAddress(), { requestId: sent.id, outcome: 'ok', message: answer(sent) });
        expect((await again.reply).requestId).to.equal(sent.id);
      });

      it('cancel() stops waiting: the promise never settles, its reply is dropped, its timer is gone', async () => {
        const sent = request('nowhere');
        const pending = broker.expectReply(sent.id, 200);
        pending.cancel();
        pending.cancel();
        await broker.reply(broker.replyAddress(), { requestId: sent.id, outcome: 'ok', message: answer(sent) });
        await waitUntil(() => droppedReplies(sent.id) === 1, 'the reply to the cancelled waiter to be dropped');
        expect(await settledWithin(pending.reply, 400)).to.equal(false); // neither the reply nor the timeout
        const again = broker.expectReply(sent.id, 10_000);
        await broker.reply(broker.replyAddress(), { requestId: sent.id, outcome: 'ok', message: answer(sent) });
        expect((await again.reply).requestId).to.equal(sent.id);
      });

      it('waiting never keeps the process alive (timers are unref\'d) and refuses bad arguments', () => {
        const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
        const before = timers();
        const pendings = Array.from({ length: 20 }, () => broker.expectReply(request('x').id, 60_000));
        expect(timers()).to.equal(before);
        for (const pending of pendings) pending.cancel();
        const id = request('x').id;
        expect(() => broker.expectReply(id, 0)).to.throw(RangeError);
        expect(() => broker.expectReply(id, 1.5)).to.throw(RangeError);
        expect(() => broker.expectReply('', 1000)).to.throw(RangeError);
        const first = broker.expectReply(id, 1000);
        expect(() => broker.expectReply(id, 1000)).to.throw(/Already waiting for a reply to message/);
        first.cancel();
      });

      it('200 concurrent requests each get their own reply (no cross-talk)', async () => {
        const dest = destination();
        await broker.declare([dest]);
        await worker(dest, async (got) => {
          await sleep(Math.floor(Math.random() * 5));
          return Number(JSON.parse(got.body).n) % 7 === 0
            ? { requestId: got.id, outcome: 'error', error: { code: 'JCT_VALIDATION_FAILED', message: got.body, retryable: false } }
            : { requestId: got.id, outcome: 'ok', message: answer(got, `{"echo":${got.body}}`) };
        }, 50);
        const sent = Array.from({ length: 200 }, (_, i) => request(dest, `{"n":${i},"amount":"${i}.00"}`));
        const pendings = sent.map((envelope) => broker.expectReply(envelope.id, 20_000));
        await Promise.all(sent.map((envelope) => broker.publish(dest, envelope, { replyTo: broker.replyAddress() })));
        const replies = await Promise.all(pendings.map((pending) => pending.reply));
        replies.forEach((reply, i) => {
          const own = sent[i] as Envelope;
          expect(reply.requestId).to.equal(own.id);
          if (i % 7 === 0) expect(reply.outcome === 'error' && reply.error.message).to.equal(own.body);
          else expect(reply.outcome === 'ok' && reply.message.body).to.equal(`{"echo":${own.body}}`);
        });
      });

      it('a reply to an unknown address does not throw and reaches nobody', async () => {
        const sent = request('nowhere');
        const pending = broker.expectReply(sent.id, 300);
        await broker.reply(`${broker.replyAddress()}-gone`, { requestId: sent.id, outcome: 'ok', message: answer(sent) });
        await expectJunctionError(pending.reply, 'JCT_REPLY_TIMEOUT');
        // The broker carries on (on RabbitMQ: the publishing channel is still open).
        const dest = destination();
        await broker.declare([dest]);
        await broker.publish(dest, testEnvelope(dest));
      });

      it('a malformed reply is logged and dropped; the waiter keeps waiting', async () => {
        const sent = request('nowhere');
        const pending = broker.expectReply(sent.id, 10_000);
        const broken = { requestId: sent.id, outcome: 'ok', message: { id: 'not an envelope' } } as unknown as Reply;
        await broker.reply(broker.replyAddress(), broken);
        await waitUntil(() => fixture.logs.lines.some((line) => line.message === 'Dropping a malformed reply' && line.level === 'warn'),
          'the malformed reply to be logged');
        expect(await settledWithin(pending.reply, 100)).to.equal(false);
        await broker.reply(broker.replyAddress(), { requestId: sent.id, outcome: 'ok', message: answer(sent) });
        expect((await pending.reply).outcome).to.equal('ok');
      });

      it('close() rejects pending waiters with JCT_BROKER_UNAVAILABLE; waiting afterwards is refused', async () => {
        const pendings = [request('x'), request('x')].map((sent) => broker.expectReply(sent.id, 20_000));
        const startedAt = Date.now();
        await broker.close();
        for (const pending of pendings) await expectJunctionError(pending.reply, 'JCT_BROKER_UNAVAILABLE');
        expect(Date.now() - startedAt).to.be.lessThan(5000);
        expect(() => broker.expectReply(request('x').id, 1000)).to.throw(JunctionError, /closed|closing/);
        expect(() => broker.replyAddress()).to.throw(JunctionError);
        await expectJunctionError(broker.reply('anywhere', { requestId: 'r', outcome: 'error',
          error: { code: 'JCT_INTERNAL', message: 'x', retryable: false } }), 'JCT_BROKER_UNAVAILABLE');
      });
    });
  });
}
