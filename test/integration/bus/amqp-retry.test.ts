import { expect } from 'chai';
import { ERROR_CODE_HEADER, ERROR_HEADER } from '../../../src/bus/amqp/amqp-broker';
import { delayBucketMs } from '../../../src/bus/amqp/amqp-topology';
import { decodeEnvelope, withChanges } from '../../../src/core/envelope';
import type { SerializedError } from '../../../src/core/errors';
import { requireEnv, uniqueName } from '../../support/env';
import { eventually } from '../../support/http';
import { Inbox, testEnvelope } from '../../contract/broker.helpers';
import { deleteTopology, drainQueue, RecordingAmqpBroker, withAdminChannel } from './amqp-admin';
import { RecordingLogger } from './recording-logger';

describe('AmqpBroker on RabbitMQ: delay queues and dead-letter queues', function () {
  this.timeout(30_000);
  let url: string;
  let prefix: string;
  let broker: RecordingAmqpBroker;

  beforeEach(async () => {
    url = requireEnv('JUNCTION_TEST_AMQP_URL');
    prefix = uniqueName('retry');
    broker = new RecordingAmqpBroker({ url, prefix, logger: new RecordingLogger(), requeueDelayMs: 50 });
    await broker.start();
  });
  afterEach(async () => {
    await broker.close();
    await deleteTopology(url, prefix, broker.declaredDestinations);
  });

  it('declares the dead-letter queue with the destination: durable, classic', async () => {
    await broker.declare(['orders']);
    await withAdminChannel(url, async (channel) => {
      const ok = await channel.checkQueue(`${prefix}.dlq.orders`);
      expect(ok.messageCount).to.equal(0);
    });
  });

  it('a delayed message waits in its delay queue without any Junction connection, then returns to the route queue', async () => {
    await broker.declare(['orders']);
    const envelope = withChanges(testEnvelope('orders'), { attempt: 2 });
    await broker.publishDelayed('orders', envelope, 700);
    await broker.close(); // Junction is gone: RabbitMQ alone holds and returns the message
    const bucket = delayBucketMs(700);
    const delayQueue = `${prefix}.delay.orders.${bucket}`;
    await withAdminChannel(url, async (channel) => {
      expect((await channel.checkQueue(delayQueue)).messageCount, 'waiting in the delay queue').to.equal(1);
      expect((await channel.checkQueue(`${prefix}.route.orders`)).messageCount, 'not yet in the route queue').to.equal(0);
    });
    // Back when RabbitMQ expires it (its TTL timer may run late on a loaded machine: no fixed sleep).
    const inRoute = (): Promise<number> => withAdminChannel(url, async (channel) => (await channel.checkQueue(`${prefix}.route.orders`)).messageCount);
    await eventually(async () => ((await inRoute()) > 0 ? true : undefined), bucket + 30_000, 100);
    const [back, ...more] = await drainQueue(url, `${prefix}.route.orders`);
    expect(more).to.have.length(0);
    expect(back && decodeEnvelope(back.content)).to.deep.equal(envelope);
    expect(back?.properties.deliveryMode, 'persistent').to.equal(2);
    await withAdminChannel(url, async (channel) => {
      expect((await channel.checkQueue(delayQueue)).messageCount).to.equal(0);
      // The delay queue is what Junction says it is: TTL = bucket, dead-lettering to the exchange.
      await expectRedeclareRefused(url, delayQueue);
    });
  });

  it('a delayed message reaches a consumer of the destination', async () => {
    await broker.declare(['orders']);
    const inbox = new Inbox();
    await broker.consume('orders', inbox.handler, { prefetch: 5 });
    const sent = [testEnvelope('orders'), testEnvelope('orders'), testEnvelope('orders')];
    const started = Date.now();
    await Promise.all(sent.map((e) => broker.publishDelayed('orders', e, 100)));
    await inbox.waitFor(3, 5000);
    expect(Date.now() - started).to.be.at.least(85);
    expect(new Set(inbox.ids())).to.deep.equal(new Set(sent.map((e) => e.id)));
  });

  it('the DLQ holds a parked message with the error in its headers', async () => {
    await broker.declare(['orders']);
    const envelope = withChanges(testEnvelope('orders'), { attempt: 5 });
    const error: SerializedError = { code: 'JCT_ENDPOINT_REJECTED', message: 'ERP answered HTTP 400', retryable: false };
    await broker.deadLetter('orders', envelope, error);
    const [parked, ...more] = await drainQueue(url, `${prefix}.dlq.orders`);
    expect(more).to.have.length(0);
    expect(parked && decodeEnvelope(parked.content)).to.deep.equal(envelope);
    expect(parked?.properties.deliveryMode).to.equal(2);
    const headers = parked?.properties.headers ?? {};
    expect(JSON.parse(String(headers[ERROR_HEADER]))).to.deep.equal(error);
    expect(String(headers[ERROR_CODE_HEADER])).to.equal('JCT_ENDPOINT_REJECTED');
    expect(Date.parse(String(headers['x-junction-dead-lettered-at']))).to.be.closeTo(Date.now(), 10_000);
  });
});

/** Re-declaring the queue as a plain classic queue is refused (406): it has the TTL and dead-letter arguments. */
async function expectRedeclareRefused(url: string, queue: string): Promise<void> {
  await withAdminChannel(url, async (channel) => {
    const code = await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } })
      .then(() => undefined, (error: unknown) => (error as { code?: number }).code);
    expect(code).to.equal(406);
  });
}
