import { MemoryBroker } from '../../src/bus/memory/memory-broker';
import { requireEnv, uniqueName } from '../support/env';
import { deleteTopology, RecordingAmqpBroker } from '../integration/bus/amqp-admin';
import { brokerContract } from './broker.contract';

brokerContract('MemoryBroker', async () => {
  const broker = new MemoryBroker({ requeueDelayMs: 20 });
  await broker.start();
  return { broker, cleanup: async () => undefined };
});

describe('AmqpBroker on RabbitMQ (JUNCTION_TEST_AMQP_URL)', () => {
  const prefix = uniqueName('bus');
  brokerContract('AmqpBroker', async () => {
    const url = requireEnv('JUNCTION_TEST_AMQP_URL');
    const broker = new RecordingAmqpBroker({ url, prefix, requeueDelayMs: 50 });
    await broker.start();
    return { broker, cleanup: () => deleteTopology(url, prefix, broker.declaredDestinations) };
  });
});
