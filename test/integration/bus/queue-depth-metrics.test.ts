import { expect } from 'chai';
import { AmqpBroker } from '../../../src/bus/amqp/amqp-broker';
import { registerHealthMetrics } from '../../../src/observability/health-metrics';
import { PrometheusMetrics } from '../../../src/observability/prometheus-metrics';
import { requireEnv, uniqueName } from '../../support/env';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { sampleValue } from '../../support/prometheus-text';
import { testEnvelope, waitUntil } from '../../contract/broker.helpers';
import { deleteTopology, withAdminChannel } from './amqp-admin';
import { RecordingLogger } from './recording-logger';
import { TcpProxy } from './tcp-proxy';

/**
 * junction_queue_messages against RabbitMQ (behind a TCP proxy that can make it look down): a
 * depth that cannot be read now is left out of /metrics, never shown with its last value, and
 * comes back with the next successful read (docs/observability.md).
 */
describe('queue depth metrics on RabbitMQ: unknown depths are left out, not stale', function () {
  this.timeout(30_000);
  let url: string;
  let prefix: string;
  let proxy: TcpProxy;
  let broker: AmqpBroker;
  let prometheus: PrometheusMetrics;
  const routes = ['orders', 'customers'];
  const depths = async (route: string): Promise<(number | undefined)[]> => {
    const text = await prometheus.render();
    return ['ready', 'dead-letter'].map((queue) => sampleValue(text, `junction_queue_messages{route="${route}",queue="${queue}"}`));
  };

  beforeEach(async () => {
    url = requireEnv('JUNCTION_TEST_AMQP_URL');
    prefix = uniqueName('depth');
    const target = new URL(url);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5672));
    broker = new AmqpBroker({
      url: proxy.route(url), prefix, requeueDelayMs: 50, logger: new RecordingLogger(), connectTimeoutMs: 2000,
      reconnectMinDelayMs: 50, reconnectMaxDelayMs: 300,
    });
    await broker.start();
    await broker.declare(routes);
    prometheus = new PrometheusMetrics({ processMetrics: false });
    registerHealthMetrics(prometheus, { broker, log: new FakeTransactionLog(), destinations: routes });
  });
  afterEach(async () => {
    proxy.allow();
    await broker.close();
    await proxy.close();
    await deleteTopology(url, prefix, routes);
  });

  it('a route whose queue cannot be counted loses its series; the next successful count brings it back', async () => {
    await broker.publish('orders', testEnvelope('orders'));
    await broker.publish('orders', testEnvelope('orders'));
    expect(await depths('orders')).to.deep.equal([2, 0]);
    // An operator deletes the dead-letter queue: counting "orders" fails (404), "customers" still counts.
    await withAdminChannel(url, (channel) => channel.deleteQueue(`${prefix}.dlq.orders`));
    expect(await depths('orders')).to.deep.equal([undefined, undefined]);
    expect(await depths('customers')).to.deep.equal([0, 0]);
    expect(broker.isConnected()).to.equal(true);
    await broker.declare(['orders']);
    expect(await depths('orders')).to.deep.equal([2, 0]);
  });

  it('while RabbitMQ is unreachable there are no depth series (broker_up 0); after the reconnect they are back', async () => {
    await broker.publish('customers', testEnvelope('customers'));
    expect(await depths('customers')).to.deep.equal([1, 0]);
    proxy.refuse();
    proxy.cutAll();
    await waitUntil(() => !broker.isConnected(), 'the broker to notice the cut');
    const down = await prometheus.render();
    expect(sampleValue(down, 'junction_broker_up')).to.equal(0);
    expect(down).not.to.contain('junction_queue_messages{');
    proxy.allow();
    await waitUntil(() => broker.isConnected(), 'the broker to reconnect');
    expect(await depths('customers')).to.deep.equal([1, 0]);
    expect(await depths('orders')).to.deep.equal([0, 0]);
  });
});
