import { expect } from 'chai';
import type { Broker, Subscription } from '../../src/core/broker';
import { createEnvelope, withChanges } from '../../src/core/envelope';
import { expectJunctionError, gate, Inbox, sleep, testEnvelope, waitUntil } from './broker.helpers';

/** What a contract factory hands over: a started broker (requeue delay ≤ 100 ms) and how to tidy up after it. */
export interface BrokerFixture {
  readonly broker: Broker;
  readonly cleanup: () => Promise<void>;
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
  });
}
