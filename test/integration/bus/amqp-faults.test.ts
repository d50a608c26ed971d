import { expect } from 'chai';
import { AmqpBroker } from '../../../src/bus/amqp/amqp-broker';
import { requireEnv, uniqueName } from '../../support/env';
import { expectJunctionError, gate, Inbox, sleep, testEnvelope } from '../../contract/broker.helpers';
import { deleteTopology, RecordingAmqpBroker } from './amqp-admin';
import { RecordingLogger } from './recording-logger';
import { TcpProxy } from './tcp-proxy';

describe('AmqpBroker faults (RabbitMQ behind a TCP proxy)', function () {
  this.timeout(30_000);
  let url: string;
  let prefix: string;
  let proxy: TcpProxy;
  const brokers: AmqpBroker[] = [];
  const dest = 'orders';

  /** A started broker that talks to RabbitMQ through the proxy (or directly). */
  async function startBroker(options: { viaProxy: boolean; publishTimeoutMs?: number; logger?: RecordingLogger }): Promise<AmqpBroker> {
    const broker = new RecordingAmqpBroker({
      url: options.viaProxy ? proxy.route(url) : url, prefix, requeueDelayMs: 50,
      ...(options.publishTimeoutMs === undefined ? {} : { publishTimeoutMs: options.publishTimeoutMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    brokers.push(broker);
    await broker.start();
    return broker;
  }

  beforeEach(async () => {
    url = requireEnv('JUNCTION_TEST_AMQP_URL');
    prefix = uniqueName('bus');
    const target = new URL(url);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5672));
  });
  afterEach(async () => {
    proxy.thaw();
    await Promise.all(brokers.splice(0).map((broker) => broker.close()));
    await proxy.close();
    await deleteTopology(url, prefix, [dest]);
  });

  it('redelivers unacked messages when the consumer\'s connection dies', async () => {
    const logger = new RecordingLogger();
    const dying = await startBroker({ viaProxy: true, logger });
    await dying.declare([dest]);
    const envelope = testEnvelope(dest);
    await dying.publish(dest, envelope);
    const hold = gate();
    const first = new Inbox(() => hold.promise);
    await dying.consume(dest, first.handler, { prefetch: 1 });
    await first.waitFor(1);

    proxy.refuse(); // and stays down: the broker cannot reconnect meanwhile
    proxy.cutAll(); // the worker's connection dies with the message unacked

    const fresh = await startBroker({ viaProxy: false });
    const second = new Inbox();
    await fresh.consume(dest, second.handler, { prefetch: 1 });
    const [again] = await second.waitFor(1);
    expect(again?.envelope).to.deep.equal(envelope);
    expect(again?.delivery.redelivered).to.equal(true);

    hold.open(); // the old handler finishes late: its ack must be skipped, not crash
    await dying.close();
    expect(logger.text()).to.contain('Lost the connection to RabbitMQ');
  });

  it('rejects pending publishes at once when the connection is lost, and new ones quickly', async () => {
    const broker = await startBroker({ viaProxy: true, publishTimeoutMs: 20_000 });
    await broker.declare([dest]);
    proxy.freeze(); // RabbitMQ's acks stop arriving
    const pending = broker.publish(dest, testEnvelope(dest));
    pending.catch(() => undefined);
    await sleep(200);
    proxy.refuse(); // and stays down: the broker cannot reconnect meanwhile
    const cutAt = Date.now();
    proxy.cutAll();
    const error = await expectJunctionError(pending, 'JCT_BROKER_UNAVAILABLE');
    expect(Date.now() - cutAt).to.be.lessThan(1000);
    expect(error.retryable).to.equal(true);

    const startedAt = Date.now();
    const later = await expectJunctionError(broker.publish(dest, testEnvelope(dest)), 'JCT_BROKER_UNAVAILABLE');
    expect(Date.now() - startedAt).to.be.lessThan(200);
    expect(later.message).to.contain('connection to RabbitMQ was lost');
  });

  it('rejects a publish RabbitMQ does not confirm within publishTimeoutMs', async () => {
    const broker = await startBroker({ viaProxy: true, publishTimeoutMs: 300 });
    await broker.declare([dest]);
    proxy.freeze();
    const startedAt = Date.now();
    const error = await expectJunctionError(broker.publish(dest, testEnvelope(dest)), 'JCT_BROKER_UNAVAILABLE');
    const elapsed = Date.now() - startedAt;
    expect(elapsed).to.be.within(290, 2000);
    expect(error.message).to.match(/RabbitMQ did not confirm message .* within 300 ms/);
    proxy.thaw(); // the late ack arrives and must be ignored
    await broker.publish(dest, testEnvelope(dest));
  });

  it('start against an unreachable broker rejects with JCT_BROKER_UNAVAILABLE in bounded time, without the password', async () => {
    const broker = new AmqpBroker({ url: 'amqp://junction:s3cr3t-pw@127.0.0.1:1/%2F', connectTimeoutMs: 2000 });
    brokers.push(broker);
    const startedAt = Date.now();
    const error = await expectJunctionError(broker.start(), 'JCT_BROKER_UNAVAILABLE');
    expect(Date.now() - startedAt).to.be.lessThan(3000);
    expect(error.message).to.contain('amqp://junction:***@127.0.0.1:1');
    expect(error.message).not.to.contain('s3cr3t-pw');
    const publishing = await expectJunctionError(broker.publish(dest, testEnvelope(dest)), 'JCT_BROKER_UNAVAILABLE');
    expect(publishing.message).to.contain('not started');
  });

  it('a wrong password fails start with JCT_BROKER_UNAVAILABLE and never shows the password', async () => {
    const wrong = new URL(url);
    wrong.password = 'not-the-password-x9';
    const logger = new RecordingLogger();
    const broker = new AmqpBroker({ url: wrong.href, prefix, logger, connectTimeoutMs: 5000 });
    brokers.push(broker);
    const error = await expectJunctionError(broker.start(), 'JCT_BROKER_UNAVAILABLE');
    expect(error.message).not.to.contain('not-the-password-x9');
    expect(logger.text()).not.to.contain('not-the-password-x9');
  });
});
