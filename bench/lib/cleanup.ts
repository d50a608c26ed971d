import { connect } from 'amqplib';
import { createConnection } from 'mysql2/promise';
import { allDelayBuckets } from '../../src/bus/amqp/amqp-topology';

/** Drops the transaction log tables of a table prefix (the benchmark's own, unique per run). */
export async function dropTables(dbUrl: string, prefix: string): Promise<void> {
  const connection = await createConnection(dbUrl);
  try {
    await connection.query(`DROP TABLE IF EXISTS \`${prefix}stage\`, \`${prefix}message\`, \`${prefix}migrations\``);
  } finally {
    await connection.end();
  }
}

/** Deletes the queues and exchange a bus prefix used (route, dead-letter and delay queues); missing ones are fine. */
export async function deleteQueues(amqpUrl: string, prefix: string, routes: readonly string[]): Promise<void> {
  const connection = await connect(amqpUrl);
  connection.on('error', () => undefined);
  try {
    const buckets = allDelayBuckets();
    for (const name of routes.flatMap((r) => [`${prefix}.route.${r}`, `${prefix}.dlq.${r}`, ...buckets.map((ms) => `${prefix}.delay.${r}.${ms}`)])) {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      await channel.deleteQueue(name).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    await channel.deleteExchange(`${prefix}.messages`).catch(() => undefined);
    await channel.close().catch(() => undefined);
  } finally {
    await connection.close().catch(() => undefined);
  }
}
