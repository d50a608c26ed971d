import { ERROR_HEADER } from '../../src/bus/amqp/amqp-broker';
import { MemoryBroker } from '../../src/bus/memory/memory-broker';
import { decodeEnvelope } from '../../src/core/envelope';
import type { SerializedError } from '../../src/core/errors';
import { requireEnv, uniqueName } from '../support/env';
import { deleteTopology, drainQueue, RecordingAmqpBroker } from '../integration/bus/amqp-admin';
import { RecordingLogger } from '../integration/bus/recording-logger';
import { brokerContract } from './broker.contract';

brokerContract('MemoryBroker', async () => {
  const logs = new RecordingLogger();
  const broker = new MemoryBroker({ requeueDelayMs: 20, logger: logs });
  await broker.start();
  return {
    broker, logs, cleanup: async () => undefined,
    takeDeadLetters: async (destination) => broker.deadLettered(destination).map(({ message, error }) => ({ message, error })),
  };
});

describe('AmqpBroker on RabbitMQ (JUNCTION_TEST_AMQP_URL)', () => {
  const prefix = uniqueName('bus');
  brokerContract('AmqpBroker', async () => {
    const url = requireEnv('JUNCTION_TEST_AMQP_URL');
    const logs = new RecordingLogger();
    const broker = new RecordingAmqpBroker({ url, prefix, requeueDelayMs: 50, logger: logs });
    await broker.start();
    return {
      broker, logs, cleanup: () => deleteTopology(url, prefix, broker.declaredDestinations),
      takeDeadLetters: async (destination) => (await drainQueue(url, `${prefix}.dlq.${destination}`)).map((m) => ({
        message: decodeEnvelope(m.content),
        error: JSON.parse(String(m.properties.headers?.[ERROR_HEADER])) as SerializedError,
      })),
    };
  });
});
