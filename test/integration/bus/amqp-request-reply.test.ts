import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Reply } from '../../../src/core/broker';
import { createEnvelope, type Envelope } from '../../../src/core/envelope';
import { requireEnv, uniqueName } from '../../support/env';
import { expectJunctionError, Inbox, settledWithin, sleep, waitUntil } from '../../contract/broker.helpers';
import { deleteTopology, RecordingAmqpBroker, withAdminChannel } from './amqp-admin';
import { RecordingLogger } from './recording-logger';
import { TcpProxy } from './tcp-proxy';

/** The AMQP reply code of a rejected amqplib call (404 NOT_FOUND, 405 RESOURCE_LOCKED, ...). */
async function replyCodeOf(work: Promise<unknown>): Promise<number | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    return (error as { code?: number }).code;
  }
}

function request(dest: string, body = '{"customerId":"c-1","amount":"250.00"}'): Envelope {
  return createEnvelope({ routeId: dest, pattern: 'request-reply', source: 'soap:crm/UpsertCustomer', contentType: 'application/json', body });
}

function answer(to: Envelope): Reply {
  return {
    requestId: to.id, outcome: 'ok',
    message: createEnvelope({ routeId: to.routeId, pattern: 'request-reply', source: 'worker:test', contentType: 'application/json',
      body: `{"for":"${to.id}","amount":"250.00"}`, correlationId: to.correlationId }),
  };
}

describe('AmqpBroker request-reply on RabbitMQ: separate processes, reply queues', function () {
  this.timeout(30_000);
  let url: string;
  let prefix: string;
  let proxy: TcpProxy | undefined;
  const brokers: RecordingAmqpBroker[] = [];
  const dest = 'customers';

  /** A started broker with its own connection, as a separate gateway or worker process would have. */
  async function startBroker(options: { logger?: RecordingLogger; viaProxy?: boolean } = {}): Promise<RecordingAmqpBroker> {
    const broker = new RecordingAmqpBroker({
      url: options.viaProxy === true && proxy !== undefined ? proxy.route(url) : url, prefix, requeueDelayMs: 50,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    brokers.push(broker);
    await broker.start();
    return broker;
  }

  /** A worker process: answers every request on `dest` at its replyTo. */
  async function startWorker(respond: (got: Envelope) => Reply = answer): Promise<{ broker: RecordingAmqpBroker; inbox: Inbox }> {
    const broker = await startBroker();
    await broker.declare([dest]);
    const inbox = new Inbox(async ({ envelope, delivery }) => {
      if (delivery.replyTo !== undefined) await broker.reply(delivery.replyTo, respond(envelope));
    });
    await broker.consume(dest, inbox.handler, { prefetch: 20 });
    return { broker, inbox };
  }

  beforeEach(() => {
    url = requireEnv('JUNCTION_TEST_AMQP_URL');
    prefix = uniqueName('rr');
  });
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((broker) => broker.close()));
    await proxy?.close();
    proxy = undefined;
    await deleteTopology(url, prefix, [dest]);
  });

  it('gateway and worker on separate connections: each reply reaches the gateway that asked, and only it', async () => {
    const worker = await startWorker();
    const [gatewayA, gatewayB] = [await startBroker(), await startBroker()];
    expect(gatewayA.replyAddress()).to.match(new RegExp(`^${prefix}\\.reply\\.[0-9a-f-]{36}$`));
    expect(gatewayA.replyAddress()).to.not.equal(gatewayB.replyAddress());
    expect(worker.broker.replyAddress()).to.not.equal(gatewayA.replyAddress());

    const [toA, toB] = [request(dest), request(dest)];
    const waitingA = gatewayA.expectReply(toA.id, 10_000);
    const waitingB = gatewayB.expectReply(toB.id, 10_000);
    // B also waits for A's request id: replies are routed by address, so it must not get A's reply.
    const bForA = gatewayB.expectReply(toA.id, 1000);
    await gatewayA.publish(dest, toA, { replyTo: gatewayA.replyAddress() });
    await gatewayB.publish(dest, toB, { replyTo: gatewayB.replyAddress() });

    const [gotA, gotB] = [await waitingA.reply, await waitingB.reply];
    expect(gotA.requestId).to.equal(toA.id);
    expect(gotA.outcome === 'ok' && gotA.message.body).to.equal(`{"for":"${toA.id}","amount":"250.00"}`);
    expect(gotB.requestId).to.equal(toB.id);
    await expectJunctionError(bForA.reply, 'JCT_REPLY_TIMEOUT');
    expect(worker.inbox.received.map((r) => r.delivery.replyTo)).to.have.members([gatewayA.replyAddress(), gatewayB.replyAddress()]);
  });

  it('many gateways and competing workers: 300 requests, every reply to its own caller', async () => {
    const workers = [await startWorker(), await startWorker(), await startWorker()];
    const gateways = [await startBroker(), await startBroker(), await startBroker(), await startBroker()];
    const calls = Array.from({ length: 300 }, (_, i) => {
      const gateway = gateways[i % gateways.length] as RecordingAmqpBroker;
      return { gateway, sent: request(dest, `{"n":${i},"amount":"${i}.50"}`) };
    });
    const replies = await Promise.all(calls.map(async ({ gateway, sent }) => {
      const pending = gateway.expectReply(sent.id, 20_000);
      await gateway.publish(dest, sent, { replyTo: gateway.replyAddress() });
      return pending.reply;
    }));
    replies.forEach((reply, i) => expect(reply.requestId).to.equal(calls[i]?.sent.id));
    expect(workers.every((w) => w.inbox.received.length > 0), 'every worker took part').to.equal(true);
  });

  it('the reply queue is exclusive to its connection and disappears when the broker closes', async () => {
    const gateway = await startBroker();
    const queue = gateway.replyAddress();
    await withAdminChannel(url, async (_channel, connection) => {
      const other = await connection.createChannel();
      other.on('error', () => undefined);
      expect(await replyCodeOf(other.checkQueue(queue))).to.equal(405); // RESOURCE_LOCKED: another connection's exclusive queue
    });
    await gateway.close();
    await withAdminChannel(url, async (channel) => {
      expect(await replyCodeOf(channel.checkQueue(queue))).to.equal(404);
    });
  });

  it('the reply queue disappears when the connection dies, and waiting callers fail at once', async () => {
    const target = new URL(url);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5672));
    const logger = new RecordingLogger();
    const gateway = await startBroker({ viaProxy: true, logger });
    const queue = gateway.replyAddress();
    const pending = gateway.expectReply(request(dest).id, 20_000);
    proxy.refuse(); // and stays down: the broker cannot reconnect meanwhile
    const cutAt = Date.now();
    proxy.cutAll();
    const error = await expectJunctionError(pending.reply, 'JCT_BROKER_UNAVAILABLE');
    expect(Date.now() - cutAt).to.be.lessThan(2000);
    expect(error.message).to.contain('connection to RabbitMQ was lost');
    expect(() => gateway.expectReply(request(dest).id, 1000)).to.throw(/connection to RabbitMQ was lost/);
    // RabbitMQ notices the dead TCP connection and deletes its exclusive queue.
    const deadline = Date.now() + 10_000;
    let code: number | undefined;
    while (Date.now() < deadline) {
      code = await withAdminChannel(url, (channel) => replyCodeOf(channel.checkQueue(queue)));
      if (code === 404) break;
      await sleep(100);
    }
    expect(code).to.equal(404);
  });

  it('replies are transient, carry the request id as correlationId and go through the default exchange', async () => {
    const worker = await startWorker();
    const sent = request(dest);
    await withAdminChannel(url, async (channel) => {
      const inspect = `${prefix}.reply.inspect`;
      await channel.assertQueue(inspect, { exclusive: true, durable: false, autoDelete: true });
      await worker.broker.reply(inspect, answer(sent));
      let message: Awaited<ReturnType<typeof channel.get>> = false;
      for (let i = 0; i < 50 && message === false; i += 1) {
        message = await channel.get(inspect, { noAck: true });
        if (message === false) await sleep(20);
      }
      if (message === false) throw new Error('no reply arrived in the inspection queue');
      expect(message.fields.exchange).to.equal('');
      expect(message.properties.deliveryMode === 2, 'persistent').to.equal(false);
      expect(message.properties.correlationId).to.equal(sent.id);
      expect(message.properties.contentType).to.equal('application/json');
      const wire = JSON.parse(message.content.toString('utf8')) as { requestId: string; outcome: string; message: { id: string; body: string } };
      expect(wire.requestId).to.equal(sent.id);
      expect(wire.outcome).to.equal('ok');
      expect(wire.message.body).to.equal(`{"for":"${sent.id}","amount":"250.00"}`);
    });
  });

  it('a reply to a missing queue is dropped by RabbitMQ (mandatory=false): no return, no channel error', async () => {
    const logger = new RecordingLogger();
    const worker = await startBroker({ logger });
    await worker.declare([dest]);
    await worker.reply(`${prefix}.reply.00000000-0000-0000-0000-000000000000`, answer(request(dest)));
    await sleep(200);
    expect(logger.lines.filter((line) => line.level === 'warn' || line.level === 'error')).to.deep.equal([]);
    await worker.publish(dest, request(dest)); // the publishing channel is still open
  });

  it('refuses to send a reply into a queue that is not a reply queue of its prefix (e.g. a route queue)', async () => {
    const logger = new RecordingLogger();
    const worker = await startBroker({ logger });
    await worker.declare([dest]);
    const routeQueue = `${prefix}.route.${dest}`;
    for (const address of [routeQueue, 'some.other.app.queue', `${prefix}.reply.`, '']) {
      await worker.reply(address, answer(request(dest)));
    }
    const refused = logger.lines.filter((line) => line.message.startsWith('Not sending a reply to an address'));
    expect(refused.map((line) => line.fields.replyTo)).to.deep.equal([routeQueue, 'some.other.app.queue', `${prefix}.reply.`, '']);
    await withAdminChannel(url, async (channel) => {
      expect((await channel.checkQueue(routeQueue)).messageCount).to.equal(0);
    });
  });

  it('a malformed message in the reply queue is logged and dropped; later replies still arrive', async () => {
    const logger = new RecordingLogger();
    const gateway = await startBroker({ logger });
    const sent = request(dest);
    const pending = gateway.expectReply(sent.id, 10_000);
    await withAdminChannel(url, async (channel) => {
      channel.sendToQueue(gateway.replyAddress(), Buffer.from('not json'), { correlationId: 'junk-1' });
      channel.sendToQueue(gateway.replyAddress(), Buffer.from(JSON.stringify({ requestId: sent.id, outcome: 'maybe' })), { correlationId: 'junk-2' });
      await sleep(50);
    });
    await waitUntil(() => logger.lines.filter((line) => line.message === 'Dropping a malformed reply').length === 2, 'two malformed replies logged');
    expect(await settledWithin(pending.reply, 50)).to.equal(false);
    const worker = await startBroker();
    await worker.reply(gateway.replyAddress(), answer(sent));
    expect((await pending.reply).requestId).to.equal(sent.id);
  });

  it('when an operator deletes the reply queue, waiting callers fail at once and new waits are refused', async function () {
    const ctl = process.env.JUNCTION_TEST_RABBIT_CTL;
    if (ctl === undefined || ctl === '') {
      throw new Error('JUNCTION_TEST_RABBIT_CTL is not set: run the suite with `npm test` (scripts/services.sh sets it), or export the rabbitmqctl command line of your RabbitMQ node.');
    }
    const logger = new RecordingLogger();
    const gateway = await startBroker({ logger });
    const pending = gateway.expectReply(request(dest).id, 20_000);
    await withAdminChannel(url, async (channel) => {
      // Over AMQP only the owning connection may delete an exclusive queue (405 RESOURCE_LOCKED) ...
      expect(await replyCodeOf(channel.deleteQueue(gateway.replyAddress()))).to.equal(405);
    });
    // ... but an operator with rabbitmqctl (or the management UI) can.
    const [command, ...args] = ctl.split(' ').filter((part) => part !== '');
    await promisify(execFile)(command as string, [...args, 'delete_queue', gateway.replyAddress()]);
    const error = await expectJunctionError(pending.reply, 'JCT_BROKER_UNAVAILABLE');
    expect(error.message).to.contain('can arrive');
    expect(() => gateway.expectReply(request(dest).id, 1000)).to.throw(/replies cannot arrive/);
    expect(logger.text()).to.contain('Replies cannot arrive any more');
  });
});
