import { connect, type Channel, type ChannelModel } from 'amqplib';
import { AmqpBroker } from '../../../src/bus/amqp/amqp-broker';
import { allDelayBuckets } from '../../../src/bus/amqp/amqp-topology';

/** An AmqpBroker that remembers what it declared, so a test can delete it afterwards. */
export class RecordingAmqpBroker extends AmqpBroker {
  readonly declaredDestinations = new Set<string>();

  override async declare(destinations: readonly string[]): Promise<void> {
    for (const destination of destinations) this.declaredDestinations.add(destination);
    await super.declare(destinations);
  }
}

/** Runs `work` on a fresh amqplib connection and channel of its own (the test's view of RabbitMQ). */
export async function withAdminChannel<T>(url: string, work: (channel: Channel, connection: ChannelModel) => Promise<T>): Promise<T> {
  const connection = await connect(url);
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    return await work(channel, connection);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/**
 * Deletes the queues of `destinations` (route queue, dead-letter queue and every possible delay
 * queue) and the exchange of `prefix`; missing ones are fine.
 */
export async function deleteTopology(url: string, prefix: string, destinations: Iterable<string>): Promise<void> {
  await withAdminChannel(url, async (first, connection) => {
    let channel = first;
    const buckets = allDelayBuckets();
    const names = [...destinations].flatMap((d) => [
      `${prefix}.route.${d}`, `${prefix}.dlq.${d}`, ...buckets.map((ms) => `${prefix}.delay.${d}.${ms}`),
    ].map((name) => ({ kind: 'queue' as const, name })));
    for (const item of [...names, { kind: 'exchange' as const, name: `${prefix}.messages` }]) {
      try {
        if (item.kind === 'queue') await channel.deleteQueue(item.name);
        else await channel.deleteExchange(item.name);
      } catch {
        channel = await connection.createChannel(); // a failed delete closes the channel
        channel.on('error', () => undefined);
      }
    }
  });
}

/** Takes every message off a queue (acking them): the raw amqplib messages, oldest first. */
export async function drainQueue(url: string, queue: string): Promise<import('amqplib').GetMessage[]> {
  return withAdminChannel(url, async (channel) => {
    const messages = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (message === false) return messages;
      messages.push(message);
    }
  });
}
