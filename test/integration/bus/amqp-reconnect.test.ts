import { expect } from 'chai';
import type { Delivery } from '../../../src/core/broker';
import type { Envelope } from '../../../src/core/envelope';
import { AmqpBroker, type AmqpBrokerOptions } from '../../../src/bus/amqp/amqp-broker';
import { delayBucketMs } from '../../../src/bus/amqp/amqp-topology';
import type { SerializedError } from '../../../src/core/errors';
import { requireEnv, uniqueName } from '../../support/env';
import { expectJunctionError, gate, Inbox, sleep, testEnvelope, waitUntil } from '../../contract/broker.helpers';
import { deleteTopology, RecordingAmqpBroker, withAdminChannel } from './amqp-admin';
import { RecordingLogger } from './recording-logger';
import { TcpProxy } from './tcp-proxy';

const parked: SerializedError = { code: 'JCT_BROKER_UNAVAILABLE', message: 'gave up', retryable: false };

/** Counts of the process's active handles by kind (sockets, timers). */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

describe('AmqpBroker reconnection (RabbitMQ behind a TCP proxy)', function () {
  this.timeout(30_000);
  let url: string;
  let prefix: string;
  let proxy: TcpProxy;
  const brokers: AmqpBroker[] = [];
  const dest = 'orders';

  async function startBroker(logger: RecordingLogger, options: Partial<AmqpBrokerOptions> = {}): Promise<AmqpBroker> {
    const broker = new RecordingAmqpBroker({
      url: proxy.route(url), prefix, requeueDelayMs: 50, logger, connectTimeoutMs: 2000,
      reconnectMinDelayMs: 50, reconnectMaxDelayMs: 500, ...options,
    });
    brokers.push(broker);
    await broker.start();
    return broker;
  }

  async function queueExists(queue: string): Promise<boolean> {
    return withAdminChannel(url, async (channel) => {
      try {
        await channel.checkQueue(queue);
        return true;
      } catch {
        return false;
      }
    });
  }

  async function messageCount(queue: string): Promise<number> {
    return withAdminChannel(url, async (channel) => (await channel.checkQueue(queue)).messageCount);
  }

  beforeEach(async () => {
    url = requireEnv('JUNCTION_TEST_AMQP_URL');
    prefix = uniqueName('reconnect');
    const target = new URL(url);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5672));
  });
  afterEach(async () => {
    proxy.allow();
    proxy.thaw();
    await Promise.all(brokers.splice(0).map((broker) => broker.close()));
    await proxy.close();
    await deleteTopology(url, prefix, [dest]);
  });

  it('after a cut it rejects fast, then reconnects by itself: topology, the same consumer and a new reply address', async () => {
    const logger = new RecordingLogger();
    const broker = await startBroker(logger);
    await broker.declare([dest]);
    await broker.publishDelayed(dest, testEnvelope(dest), 5000); // a delay queue in use
    const handled: Array<{ envelope: Envelope; delivery: Delivery }> = [];
    await broker.consume(dest, async (envelope, delivery) => {
      handled.push({ envelope, delivery });
      if (delivery.replyTo !== undefined) {
        await broker.reply(delivery.replyTo, { requestId: envelope.id, outcome: 'ok', message: envelope });
      }
    }, { prefetch: 5 });
    const oldAddress = broker.replyAddress();
    const waiting = broker.expectReply('never-answered', 20_000);
    expect(broker.isConnected()).to.equal(true);

    proxy.refuse();
    proxy.cutAll();
    await expectJunctionError(waiting.reply, 'JCT_BROKER_UNAVAILABLE');
    expect(broker.isConnected()).to.equal(false);
    const startedAt = Date.now();
    const publishing = await expectJunctionError(broker.publish(dest, testEnvelope(dest)), 'JCT_BROKER_UNAVAILABLE');
    expect(publishing.message).to.contain('connection to RabbitMQ was lost');
    await expectJunctionError(broker.publishDelayed(dest, testEnvelope(dest), 1000), 'JCT_BROKER_UNAVAILABLE');
    await expectJunctionError(broker.deadLetter(dest, testEnvelope(dest), parked),
      'JCT_BROKER_UNAVAILABLE');
    await expectJunctionError(broker.reply(oldAddress, { requestId: 'r', outcome: 'ok', message: testEnvelope(dest) }), 'JCT_BROKER_UNAVAILABLE');
    expect(Date.now() - startedAt).to.be.lessThan(200);
    expect(() => broker.replyAddress()).to.throw(/connection to RabbitMQ was lost/);
    expect(() => broker.expectReply('x', 1000)).to.throw(/connection to RabbitMQ was lost/);

    // While it is down, an operator deletes the topology: reconnecting must declare it again.
    await withAdminChannel(url, async (channel) => {
      await channel.deleteQueue(`${prefix}.route.${dest}`);
      await channel.deleteQueue(`${prefix}.dlq.${dest}`);
    });
    await waitUntil(() => logger.lines.filter((l) => l.message === 'Reconnecting to RabbitMQ').length >= 3, 'a few attempts');
    expect(broker.isConnected()).to.equal(false);

    proxy.allow();
    await waitUntil(() => broker.isConnected(), 'the broker to reconnect');
    expect(await queueExists(`${prefix}.route.${dest}`)).to.equal(true);
    expect(await queueExists(`${prefix}.dlq.${dest}`)).to.equal(true);
    expect(await queueExists(`${prefix}.delay.${dest}.${delayBucketMs(5000)}`)).to.equal(true);

    const after = testEnvelope(dest);
    await broker.publish(dest, after);
    await waitUntil(() => handled.some((h) => h.envelope.id === after.id), 'the resumed consumer to handle it');
    await sleep(300);
    expect(handled.filter((h) => h.envelope.id === after.id)).to.have.length(1); // one consumer, not two

    const newAddress = broker.replyAddress();
    expect(newAddress).to.not.equal(oldAddress);
    const request = testEnvelope(dest);
    const pending = broker.expectReply(request.id, 10_000);
    await broker.publish(dest, request, { replyTo: newAddress });
    const reply = await pending.reply;
    expect(reply.outcome).to.equal('ok');
    await broker.deadLetter(dest, testEnvelope(dest), parked);

    const text = logger.text();
    expect(text).to.contain('Lost the connection to RabbitMQ');
    expect(text).to.contain('Reconnected to RabbitMQ');
    const password = new URL(url).password;
    if (password !== '') expect(text).not.to.contain(password);
    const attempts = logger.lines.filter((l) => l.message === 'Reconnecting to RabbitMQ');
    expect(attempts.every((l) => l.level === 'warn')).to.equal(true);
  });

  it('losing only one of its two connections (consume, publish) restores both: one consumer, publishing works', async () => {
    for (const which of [1, 0]) { // 1 = the publishing connection, 0 = the consuming one (opened first)
      const logger = new RecordingLogger();
      const broker = await startBroker(logger);
      await broker.declare([dest]);
      const handled: string[] = [];
      await broker.consume(dest, async (envelope) => { handled.push(envelope.id); }, { prefetch: 5 });
      await waitUntil(() => proxy.connections === 2, 'the broker\'s two connections');
      proxy.cut(which);
      await waitUntil(() => logger.text().includes('Reconnected to RabbitMQ'), 'the broker to reconnect');
      await waitUntil(() => proxy.connections === 2, 'two connections again: the survivor closed, both reopened');
      const after = testEnvelope(dest);
      await broker.publish(dest, after);
      await waitUntil(() => handled.includes(after.id), 'the resumed consumer to handle it');
      await sleep(200);
      expect(handled.filter((id) => id === after.id)).to.have.length(1);
      await withAdminChannel(url, async (channel) => {
        expect((await channel.checkQueue(`${prefix}.route.${dest}`)).consumerCount, 'one consumer, not two').to.equal(1);
      });
      await broker.close();
      brokers.splice(brokers.indexOf(broker), 1);
    }
  });

  it('a message in flight when the connection dies is redelivered after the reconnect and handled', async () => {
    const logger = new RecordingLogger();
    const broker = await startBroker(logger);
    await broker.declare([dest]);
    const hold = gate();
    const inbox = new Inbox(async () => {
      if (inbox.received.length === 1) await hold.promise; // only the first delivery hangs
    });
    await broker.consume(dest, inbox.handler, { prefetch: 1 });
    const envelope = testEnvelope(dest);
    await broker.publish(dest, envelope);
    await inbox.waitFor(1);

    proxy.cutAll(); // the handler still holds the message, unacked
    await inbox.waitFor(2); // the same subscription gets it again once reconnected
    expect(inbox.received[1]?.envelope).to.deep.equal(envelope);
    expect(inbox.received[1]?.delivery.redelivered).to.equal(true);

    hold.open(); // the first handler finishes late: its ack on the dead channel is skipped
    await sleep(300);
    expect(inbox.ids().filter((id) => id === envelope.id).length).to.be.within(2, 3);
    expect(await messageCount(`${prefix}.route.${dest}`)).to.equal(0);
    // The redelivered copy was acked on the new channel: nothing comes back once more.
    await broker.close();
    expect(await messageCount(`${prefix}.route.${dest}`)).to.equal(0);
    expect(logger.text()).to.contain('its channel is closed; RabbitMQ will redeliver it');
  });

  it('a subscription cancelled while disconnected is not resumed', async () => {
    const broker = await startBroker(new RecordingLogger());
    await broker.declare([dest]);
    const cancelled = new Inbox();
    const kept = new Inbox();
    const subscription = await broker.consume(dest, cancelled.handler, { prefetch: 1 });
    await broker.consume(dest, kept.handler, { prefetch: 1 });
    proxy.refuse();
    proxy.cutAll();
    await waitUntil(() => !broker.isConnected(), 'the loss to be noticed');
    await subscription.cancel();
    proxy.allow();
    await waitUntil(() => broker.isConnected(), 'the broker to reconnect');
    for (let i = 0; i < 4; i += 1) await broker.publish(dest, testEnvelope(dest));
    await kept.waitFor(4);
    expect(cancelled.received).to.have.length(0);
  });

  it('a frozen broker (no FIN) is detected by heartbeat, and the broker recovers when it thaws', async () => {
    const logger = new RecordingLogger();
    const broker = await startBroker(logger, { heartbeatSeconds: 1, connectTimeoutMs: 1500 });
    await broker.declare([dest]);
    const inbox = new Inbox();
    await broker.consume(dest, inbox.handler, { prefetch: 1 });

    const frozenAt = Date.now();
    proxy.freeze();
    await waitUntil(() => !broker.isConnected(), 'the heartbeat timeout', 10_000);
    const detectedIn = Date.now() - frozenAt;
    expect(detectedIn).to.be.lessThan(3500); // about two heartbeat intervals
    expect(logger.text()).to.match(/Heartbeat timeout|Lost the connection/i);
    await expectJunctionError(broker.publish(dest, testEnvelope(dest)), 'JCT_BROKER_UNAVAILABLE');

    proxy.thaw();
    await waitUntil(() => broker.isConnected(), 'the broker to reconnect', 15_000);
    const after = testEnvelope(dest);
    await broker.publish(dest, after);
    await inbox.waitFor(1);
    expect(inbox.ids()).to.deep.equal([after.id]);
  });

  it('close() while reconnecting resolves fast and leaves no timers or sockets behind', async () => {
    await sleep(10); // the baseline is taken inside a running async test, like the measure below
    const before = handles();
    const logger = new RecordingLogger();
    const broker = await startBroker(logger, { reconnectMinDelayMs: 2000, reconnectMaxDelayMs: 30_000 });
    await broker.declare([dest]);
    await broker.consume(dest, new Inbox().handler, { prefetch: 1 });
    proxy.refuse();
    proxy.cutAll();
    await waitUntil(() => logger.lines.some((l) => l.message === 'Reconnecting to RabbitMQ'), 'a reconnection to be scheduled');
    const startedAt = Date.now();
    await broker.close();
    expect(Date.now() - startedAt).to.be.lessThan(300);
    expect(broker.isConnected()).to.equal(false);
    await sleep(50);
    const after = handles();
    for (const kind of ['TCPSocketWrap', 'Timeout']) expect(after[kind] ?? 0, kind).to.be.at.most(before[kind] ?? 0);
    expect(proxy.connections).to.equal(0);
    await sleep(2500); // no attempt after close
    expect(logger.lines.filter((l) => l.message === 'Reconnecting to RabbitMQ')).to.have.length(1);
  });
});
