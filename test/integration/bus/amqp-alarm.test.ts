import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { requireEnv, uniqueName } from '../../support/env';
import { testEnvelope, waitUntil } from '../../contract/broker.helpers';
import { eventually } from '../../support/http';
import { deleteTopology, RecordingAmqpBroker, withAdminChannel } from './amqp-admin';
import { RecordingLogger } from './recording-logger';

const run = promisify(execFile);

/** rabbitmqctl of this run's node (scripts/services.sh sets JUNCTION_TEST_RABBIT_CTL). */
async function rabbitmqctl(...args: string[]): Promise<string> {
  const ctl = process.env.JUNCTION_TEST_RABBIT_CTL;
  if (ctl === undefined || ctl === '') {
    throw new Error('JUNCTION_TEST_RABBIT_CTL is not set: run the suite with `npm test` (scripts/services.sh sets it), or export the rabbitmqctl command line of your RabbitMQ node.');
  }
  const [command, ...base] = ctl.split(' ').filter((part) => part !== '');
  return (await run(command as string, [...base, ...args])).stdout;
}

const SET_ALARM = 'rabbit_alarm:set_alarm({{resource_limit, memory, node()}, []}).';
const CLEAR_ALARM = 'rabbit_alarm:clear_alarm({resource_limit, memory, node()}).';

/**
 * A resource alarm (RabbitMQ short of memory or disk) blocks every connection that publishes:
 * RabbitMQ stops reading from it. A worker's handlers publish (retries, holds, replies); if its
 * consumers shared that connection their acks would not be read either, and the queues whose
 * draining would end the alarm would stall. AmqpBroker publishes on a connection of its own.
 */
describe('AmqpBroker under a RabbitMQ resource alarm (publishers blocked)', function () {
  this.timeout(60_000);
  let url: string;
  let prefix: string;
  let broker: RecordingAmqpBroker;
  let logger: RecordingLogger;

  beforeEach(async () => {
    url = requireEnv('JUNCTION_TEST_AMQP_URL');
    prefix = uniqueName('alarm');
    logger = new RecordingLogger();
    broker = new RecordingAmqpBroker({ url, prefix, logger, publishTimeoutMs: 500, requeueDelayMs: 50 });
    await broker.start();
  });
  afterEach(async () => {
    await rabbitmqctl('eval', CLEAR_ALARM);
    await broker.close();
    await deleteTopology(url, prefix, broker.declaredDestinations);
  });

  it('consumers keep acknowledging while publishing is blocked; publishing resumes when the alarm clears', async () => {
    await broker.declare(['work', 'out']);
    const sent = Array.from({ length: 20 }, () => testEnvelope('work'));
    for (const message of sent) await broker.publish('work', message);
    await rabbitmqctl('eval', SET_ALARM);

    const handled: string[] = [];
    const refused: string[] = [];
    const subscription = await broker.consume('work', async (message) => {
      // What a worker does after a failed try: publish a copy. Blocked by the alarm, it times out ...
      await broker.publish('out', message).catch((error: unknown) => { refused.push(String((error as { code?: unknown }).code)); });
      handled.push(message.id); // ... and the handler still settles, so the message is acked.
    }, { prefetch: 5 });

    await waitUntil(() => handled.length === sent.length, 'every message handled while the alarm lasts', 30_000);
    expect(refused.length, 'publishes refused while blocked').to.be.greaterThan(0);
    expect(logger.lines.some((line) => line.message.startsWith('RabbitMQ is blocking publishers'))).to.equal(true);
    // The acks reached RabbitMQ although the broker's publishing connection is blocked.
    const drained = `${prefix}.route.work\t0\t0`;
    const counts = async (): Promise<string> => (await rabbitmqctl('list_queues', '-q', '--no-table-headers', 'name', 'messages_ready', 'messages_unacknowledged'))
      .split('\n').find((line) => line.startsWith(`${prefix}.route.work\t`)) ?? '';
    const last = await eventually(async () => { const line = await counts(); return line === drained ? line : undefined; }, 15_000, 250).catch(counts);
    expect(last, 'ready and unacked messages while the alarm is on').to.equal(drained);

    await rabbitmqctl('eval', CLEAR_ALARM);
    await waitUntil(() => logger.lines.some((line) => line.message === 'RabbitMQ unblocked publishers'), 'the unblock', 15_000);
    await broker.publish('out', testEnvelope('out'));
    await subscription.cancel();
    await withAdminChannel(url, async (channel) => {
      expect((await channel.checkQueue(`${prefix}.route.out`)).messageCount).to.be.at.least(1);
    });
  });
});
