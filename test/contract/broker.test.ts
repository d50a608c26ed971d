import { MemoryBroker } from '../../src/bus/memory/memory-broker';
import { requireEnv, uniqueName } from '../support/env';
import { deleteTopology, RecordingAmqpBroker } from '../integration/bus/amqp-admin';
import { RecordingLogger } from '../integration/bus/recording-logger';
import { brokerContract } from './broker.contract';

brokerContract('MemoryBroker', async () => {
  const logs = new RecordingLogger();
  const broker = new MemoryBroker({ requeueDelayMs: 20, logger: logs });
  await broker.start();
  return { broker, logs, cleanup: async () => undefined };
});

describe('AmqpBroker on RabbitMQ (JUNCTION_TEST_AMQP_URL)', () => {
  const prefix = uniqueName('bus');
  brokerContract('AmqpBroker', async () => {
    const url = requireEnv('JUNCTION_TEST_AMQP_URL');
    const logs = new RecordingLogger();
    const broker = new RecordingAmqpBroker({ url, prefix, requeueDelayMs: 50, logger: logs });
    await broker.start();
    return { broker, logs, cleanup: () => deleteTopology(url, prefix, broker.declaredDestinations) };
  });
});
