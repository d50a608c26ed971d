import { expect } from 'chai';
import { requireEnv, uniqueName } from '../../support/env';
import { expectJunctionError, Inbox, sleep, testEnvelope, waitUntil } from '../../contract/broker.helpers';
import { deleteTopology, drainQueue, RecordingAmqpBroker, withAdminChannel } from './amqp-admin';
import { RecordingLogger } from './recording-logger';

/** The AMPQ error code on a rejected amqplib call (406 PRECONDITION_FAILED, ...). */
async function replyCodeOf(work: Promise<unknown>): Promise<number | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}

describe('AmqpBroker on RabbitMQ: topology, malformed messages, logging', function () {
  this.timeout(30_000);
  let url: string;
  let prefix: string;
  let logger: RecordingLogger;
  let broker: RecordingAmqpBroker;

  beforeEach(async () => {
    url = requireEnv('JUNCTION_TEST_AMQP_URL');
    prefix = uniqueName('bus');
    logger = new RecordingLogger();
    broker = new RecordingAmqpBroker({ url, prefix, logger, requeueDelayMs: 50 });
    await broker.start();
  });
  afterEach(async () => {
    await broker.close();
    await deleteTopology(url, prefix, broker.declaredDestinations);
  });

  it('declares a durable classic queue bound to a durable direct exchange, idempotently', async () => {
    await broker.declare(['orders']);
    await broker.declare(['orders']);
    const queue = `${prefix}.route.orders`;
    await withAdminChannel(url, async (channel, connection) => {
      const ok = await channel.checkQueue(queue);
      expect(ok.queue).to.equal(queue);
      // Re-declaring with other arguments is refused (406), which proves what the queue is.
      const asQuorum = await connection.createChannel();
      asQuorum.on('error', () => undefined);
      expect(await replyCodeOf(asQuorum.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } }))).to.equal(406);
      const transient = await connection.createChannel();
      transient.on('error', () => undefined);
      expect(await replyCodeOf(transient.assertQueue(queue, { durable: false, arguments: { 'x-queue-type': 'classic' } }))).to.equal(406);
      const same = await connection.createChannel();
      await same.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
      const exchange = await connection.createChannel();
      exchange.on('error', () => undefined);
      expect(await replyCodeOf(exchange.assertExchange(`${prefix}.messages`, 'direct', { durable: false }))).to.equal(406);
    });
  });

  it('reports a queue that exists with other settings as a non-retryable error', async () => {
    await withAdminChannel(url, async (channel) => {
      await channel.assertQueue(`${prefix}.route.legacy`, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    });
    broker.declaredDestinations.add('legacy');
    try {
      await broker.declare(['legacy']);
      expect.fail('declare should have failed');
    } catch (error) {
      expect((error as { code: string }).code).to.equal('JCT_BROKER_UNAVAILABLE');
      expect((error as { retryable: boolean }).retryable).to.equal(false);
      expect((error as Error).message).to.contain(`${prefix}.route.legacy`);
    }
    await broker.declare(['orders']); // the broker is still usable
  });

  it('parks a malformed message on the dead-letter queue (bytes, properties, the error) and keeps consuming', async () => {
    await broker.declare(['orders']);
    const queue = `${prefix}.route.orders`;
    await withAdminChannel(url, async (channel) => {
      channel.sendToQueue(queue, Buffer.from('this is not JSON'), { messageId: 'bad-json-1', persistent: true, contentType: 'text/plain', headers: { 'x-origin': 'by hand' } });
      channel.sendToQueue(queue, Buffer.from('{"id":"x"}'), { messageId: 'bad-shape-2', persistent: true });
      channel.sendToQueue(queue, Buffer.from('no id at all'), { persistent: true });
      await sleep(50);
    });
    const good = testEnvelope('orders');
    await broker.publish('orders', good);
    const inbox = new Inbox();
    const subscription = await broker.consume('orders', inbox.handler, { prefetch: 5 });
    await inbox.waitFor(1);
    await waitUntil(() => logger.lines.filter((line) => line.message === 'Parked a malformed message on the dead-letter queue').length === 3, 'three malformed messages parked');
    expect(inbox.ids()).to.deep.equal([good.id]);
    const parkedLines = logger.lines.filter((line) => line.message === 'Parked a malformed message on the dead-letter queue');
    expect(parkedLines.map((line) => line.fields.amqpMessageId).sort()).to.deep.equal(['(none)', 'bad-json-1', 'bad-shape-2']);
    expect(parkedLines.every((line) => line.level === 'error' && line.fields.destination === 'orders')).to.equal(true);
    await subscription.cancel();
    const parked = await drainQueue(url, `${prefix}.dlq.orders`);
    expect(parked.map((m) => m.content.toString()).sort()).to.deep.equal(['no id at all', 'this is not JSON', '{"id":"x"}']);
    const first = parked.find((m) => m.properties.messageId === 'bad-json-1');
    expect(first?.properties.contentType).to.equal('text/plain');
    expect(first?.properties.deliveryMode).to.equal(2);
    expect(first?.properties.headers?.['x-origin']).to.equal('by hand');
    expect(first?.properties.headers?.['x-junction-error-code']).to.equal('JCT_BUS_MALFORMED_MESSAGE');
    expect(JSON.parse(String(first?.properties.headers?.['x-junction-error'])).code).to.equal('JCT_BUS_MALFORMED_MESSAGE');
    await withAdminChannel(url, async (channel) => {
      expect((await channel.checkQueue(queue)).messageCount).to.equal(0);
    });
  });

  it('a malformed message that cannot be parked (its dead-letter queue is gone) stays on the queue until it can', async () => {
    await broker.declare(['orders']);
    const queue = `${prefix}.route.orders`;
    await withAdminChannel(url, async (channel) => {
      await channel.deleteQueue(`${prefix}.dlq.orders`);
      channel.sendToQueue(queue, Buffer.from('not an envelope'), { messageId: 'bad-3', persistent: true });
      await sleep(50);
    });
    const subscription = await broker.consume('orders', new Inbox().handler, { prefetch: 1 });
    await waitUntil(() => logger.lines.some((line) => line.message.startsWith('Cannot park a malformed message')), 'a failed park');
    expect(logger.lines.some((line) => line.message === 'Parked a malformed message on the dead-letter queue')).to.equal(false);
    await broker.declare(['orders']); // the operator restores the dead-letter queue
    await waitUntil(() => logger.lines.some((line) => line.message === 'Parked a malformed message on the dead-letter queue'), 'the park once possible');
    await subscription.cancel();
    expect((await drainQueue(url, `${prefix}.dlq.orders`)).map((m) => m.properties.messageId)).to.deep.equal(['bad-3']);
  });

  it('waits for drain under backpressure and still confirms every publish', async () => {
    await broker.declare(['bulk']);
    const body = JSON.stringify({ filler: 'x'.repeat(4096) });
    const sent = Array.from({ length: 3000 }, () => testEnvelope('bulk', body));
    await Promise.all(sent.map((envelope) => broker.publish('bulk', envelope)));
    expect(logger.lines.some((line) => line.message.includes('waiting for drain') || line.message.includes('wait for drain')))
      .to.equal(true, 'the write buffer never filled; the test did not exercise backpressure');
    await withAdminChannel(url, async (channel) => {
      expect((await channel.checkQueue(`${prefix}.route.bulk`)).messageCount).to.equal(sent.length);
    });
  });

  it('survives its queue being deleted under a consumer (channel errors never crash the process)', async () => {
    await broker.declare(['doomed', 'orders']);
    const inbox = new Inbox();
    const subscription = await broker.consume('doomed', inbox.handler, { prefetch: 1 });
    await withAdminChannel(url, async (channel) => { await channel.deleteQueue(`${prefix}.route.doomed`); });
    await waitUntil(() => logger.text().includes('cancelled the consumer'), 'the consumer cancellation to be logged');
    await subscription.cancel();
    await broker.publish('orders', testEnvelope('orders'));
  });

  it('opens a new publishing channel after RabbitMQ closed the old one (exchange deleted)', async () => {
    await broker.declare(['orders']);
    await withAdminChannel(url, async (channel) => { await channel.deleteExchange(`${prefix}.messages`); });
    const failed = await expectJunctionError(broker.publish('orders', testEnvelope('orders')), 'JCT_BROKER_UNAVAILABLE');
    expect(failed.message).to.contain('404');
    await broker.declare(['orders']); // re-creates the exchange and the binding
    await broker.publish('orders', testEnvelope('orders'));
    await withAdminChannel(url, async (channel) => {
      expect((await channel.checkQueue(`${prefix}.route.orders`)).messageCount).to.equal(1);
    });
  });

  it('never logs the password of the URL', async () => {
    await broker.declare(['orders']);
    await broker.publish('orders', testEnvelope('orders'));
    await broker.close();
    const password = decodeURIComponent(new URL(url).password);
    expect(password).to.not.equal('');
    expect(logger.text()).to.contain('Connecting to RabbitMQ');
    expect(logger.text()).not.to.contain(password);
  });
});
